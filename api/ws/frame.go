package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/bus"
)

// Frame types a client may send.
const (
	frameTypePing      = "ping"
	frameTypeHeartbeat = "heartbeat"
)

// errorCodeBadFrame is the error code of an inbound frame the hub cannot use.
const errorCodeBadFrame = "bad_frame"

// pongFrame answers {"type":"ping"}.
var pongFrame = []byte(`{"type":"pong"}`)

// inboundFrame is what a client sends: a JSON object with a type. Fields
// other than type are ignored, so clients may add some without breaking.
type inboundFrame struct {
	Type string `json:"type"`
}

var (
	errFrameNotObject = errors.New("frame must be a JSON object")
	errFrameNoType    = errors.New(`frame must have a non-empty string "type"`)
)

// parseFrame decodes one inbound text frame. The error's text is safe to
// send back to the client.
func parseFrame(data []byte) (inboundFrame, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return inboundFrame{}, errFrameNotObject
	}
	var raw struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return inboundFrame{}, errFrameNoType
		}
		return inboundFrame{}, errFrameNotObject
	}
	if raw.Type == nil || *raw.Type == "" {
		return inboundFrame{}, errFrameNoType
	}
	return inboundFrame{Type: *raw.Type}, nil
}

// outboundEvent is the frame pushed for a bus event.
type outboundEvent struct {
	Type           string          `json:"type"`
	ConversationID uuid.UUID       `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	Data           json.RawMessage `json:"data"`
}

// encodeEvent renders ev with payload as its data. An empty payload is sent
// as null.
func encodeEvent(ev bus.Event, payload json.RawMessage) ([]byte, error) {
	if len(payload) == 0 {
		payload = nil
	}
	return json.Marshal(outboundEvent{
		Type:           ev.Type,
		ConversationID: ev.ConversationID,
		Seq:            ev.Seq,
		Data:           payload,
	})
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// encodeError renders {"type":"error","error":{"code":...,"message":...}},
// the socket twin of the REST API's error body.
func encodeError(code, message string) []byte {
	b, err := json.Marshal(struct {
		Type  string    `json:"type"`
		Error errorBody `json:"error"`
	}{Type: "error", Error: errorBody{Code: code, Message: message}})
	if err != nil {
		// Two strings always encode; keep the client informed regardless.
		return []byte(`{"type":"error","error":{"code":"internal","message":"internal error"}}`)
	}
	return b
}

// unknownTypeMessage names the offending type, shortened so a client
// cannot make the hub echo a large payload.
func unknownTypeMessage(t string) string {
	const maxLen = 32
	if len(t) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(t[cut]) {
			cut--
		}
		t = t[:cut] + "…"
	}
	return fmt.Sprintf("unknown frame type %q", t)
}
