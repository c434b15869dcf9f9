package ws

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/bus"
)

func TestParseFrame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: `{"type":"ping"}`, want: "ping"},
		{in: ` {"type":"heartbeat","extra":[1,2]}`, want: "heartbeat"},
		{in: `{"type":"unknown"}`, want: "unknown"},
		{in: ``, wantErr: errFrameNotObject},
		{in: `null`, wantErr: errFrameNotObject},
		{in: `[{"type":"ping"}]`, wantErr: errFrameNotObject},
		{in: `"ping"`, wantErr: errFrameNotObject},
		{in: `{"type":"ping"`, wantErr: errFrameNotObject},
		{in: `{"type":"ping"} trailing`, wantErr: errFrameNotObject},
		{in: `{}`, wantErr: errFrameNoType},
		{in: `{"type":null}`, wantErr: errFrameNoType},
		{in: `{"type":""}`, wantErr: errFrameNoType},
		{in: `{"type":5}`, wantErr: errFrameNoType},
		{in: `{"type":{"a":1}}`, wantErr: errFrameNoType},
	}
	for _, tt := range tests {
		got, err := parseFrame([]byte(tt.in))
		if tt.wantErr != nil {
			require.ErrorIs(t, err, tt.wantErr, "input %q", tt.in)
			continue
		}
		require.NoError(t, err, "input %q", tt.in)
		require.Equal(t, tt.want, got.Type)
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"ping"}`, `{"type":"heartbeat"}`, `{"type":5}`, `{}`, `null`, `[]`,
		`{"type":"\u0000"}`, `{"type":"ping","type":"x"}`, "\xff\xfe", `{"a":{"b":[[[[[]]]]]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parseFrame(data)
		if err != nil {
			require.Empty(t, fr.Type)
			// Whatever the input, the reply is valid JSON.
			require.True(t, json.Valid(encodeError(errorCodeBadFrame, err.Error())))
			return
		}
		require.NotEmpty(t, fr.Type)
		msg := unknownTypeMessage(fr.Type)
		require.LessOrEqual(t, len(msg), 200)
		require.True(t, json.Valid(encodeError(errorCodeBadFrame, msg)))
	})
}

func TestUnknownTypeMessageIsShort(t *testing.T) {
	t.Parallel()
	msg := unknownTypeMessage(strings.Repeat("é", 100))
	require.True(t, utf8.ValidString(msg))
	require.Less(t, len(msg), 100)
}

func TestEncodeEvent(t *testing.T) {
	t.Parallel()
	ev := bus.Event{Type: bus.TypeMessageCreated, ConversationID: uuid.New(), Seq: 3}
	b, err := encodeEvent(ev, json.RawMessage(`{"text": "hi"}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"message.created","conversation_id":"`+ev.ConversationID.String()+`","seq":3,"data":{"text":"hi"}}`, string(b))

	b, err = encodeEvent(ev, nil)
	require.NoError(t, err)
	require.Contains(t, string(b), `"data":null`)

	_, err = encodeEvent(ev, json.RawMessage(`{broken`))
	require.Error(t, err)
}
