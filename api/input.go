package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/store"
)

const (
	maxBodyChars   = 10000
	maxKeyLen      = 200
	defaultLimit   = 25
	maxLimit       = 100
	maxMessagePage = 500
)

func pathID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		// A malformed id names nothing: the same 404 as an absent one.
		return uuid.Nil, errNotFound
	}
	return id, nil
}

func notFoundOr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

func queryInt(c *gin.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// seqPage reads a catch-up page: what comes after seq after_seq, at most
// limit items.
func seqPage(c *gin.Context) (after int64, limit int, err error) {
	if after, err = queryInt(c, "after_seq", 0, 0, 1<<62); err != nil {
		return 0, 0, err
	}
	l, err := queryInt(c, "limit", maxMessagePage, 1, maxMessagePage)
	return after, int(l), err
}

func encodeCursor(cur *store.Cursor) string {
	if cur == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%s", cur.At.UnixMicro(), cur.ID))
}

func decodeCursor(s string) (*store.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if at, id, ok := strings.Cut(string(raw), "|"); ok {
			us, err1 := strconv.ParseInt(at, 10, 64)
			uid, err2 := uuid.Parse(id)
			if err1 == nil && err2 == nil {
				return &store.Cursor{At: time.UnixMicro(us), ID: uid}, nil
			}
		}
	}
	return nil, badRequest("cursor", "cursor is not one this API returned")
}

const maxNameChars = 200

func checkStructureName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameChars {
		return "", badRequest("name", "name must be 1 to %d characters", maxNameChars)
	}
	return name, nil
}

// nullableString is a JSON field that may be absent (Set false), null
// (Value nil) or a string: PATCH tells "leave it" from "clear it".
type nullableString struct {
	Set   bool
	Value *string
}

func (n *nullableString) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		// The decoder names the field on a type error.
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
	}
	n.Value = &v
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

const (
	inviteTTL        = 7 * 24 * time.Hour
	passwordResetTTL = time.Hour
	minPassword      = 10
	maxPassword      = 200
	// bcrypt reads at most 72 bytes and x/crypto refuses longer input
	// rather than silently ignoring the rest.
	maxPasswordBytes   = 72
	maxEmail           = 320
	maxName            = 200
	maxInviteDepts     = 100
	maxOneTimeTokenLen = 128
)

var errInvalidToken = &apiError{Status: http.StatusNotFound, Code: "invalid_token", Message: "this link is unknown, used or expired"}

func normalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" {
		return "", badRequest("email", "email is required")
	}
	if len(email) > maxEmail {
		return "", badRequest("email", "email is longer than %d bytes", maxEmail)
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") ||
		strings.ContainsFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", badRequest("email", "email must be an address like name@example.com")
	}
	return email, nil
}

// checkName trims a person's name; it must be 1 to 200 characters with no
// control characters (PostgreSQL text cannot hold NUL, and names are
// shown in lists).
func checkName(raw string) (string, error) { return checkLabel("name", raw) }

// checkLabel trims a short text a person types (a name) given as field:
// 1 to maxName characters, no control characters.
func checkLabel(field, raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", badRequest(field, "%s is required", field)
	}
	if utf8.RuneCountInString(name) > maxName {
		return "", badRequest(field, "%s is longer than %d characters", field, maxName)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", badRequest(field, "%s must not contain control characters", field)
	}
	return name, nil
}

// respondOne answers a GET of one thing by the id in the path: the thing
// of the viewer's workspace, under key, or 404 (another workspace's is
// none of theirs).
func respondOne[T any](c *gin.Context, key string, get func(context.Context, uuid.UUID, uuid.UUID) (T, error)) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	v, err := get(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{key: v})
}

func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < minPassword || n > maxPassword {
		return badRequest("password", "password must be %d to %d characters", minPassword, maxPassword)
	}
	if len(pw) > maxPasswordBytes {
		return badRequest("password", "password must be at most %d bytes", maxPasswordBytes)
	}
	return nil
}

// invalidTokenOr answers an unknown, used or expired one-time token with
// errInvalidToken, whatever else with itself.
func invalidTokenOr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidToken
	}
	return err
}

func checkOneTimeToken(token string) error {
	if token == "" {
		return badRequest("token", "token is required")
	}
	if len(token) > maxOneTimeTokenLen {
		return errInvalidToken
	}
	return nil
}

// parseIDs reads a list of at most max ids from field, without
// duplicates, in the order given.
func parseIDs(field string, raw []string, max int) ([]uuid.UUID, error) {
	if len(raw) > max {
		return nil, badRequest(field, "at most %d ids", max)
	}
	ids := make([]uuid.UUID, 0, len(raw))
	for _, r := range raw {
		id, err := uuid.Parse(r)
		if err != nil {
			return nil, badRequest(field, "%s must be ids (UUIDs)", field)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// page reads a keyset page's limit (def when absent, up to most) and
// cursor from the query.
func page(c *gin.Context, def, most int64) (int, *store.Cursor, error) {
	limit, err := queryInt(c, "limit", def, 1, most)
	if err != nil {
		return 0, nil, err
	}
	cursor, err := decodeCursor(c.Query("cursor"))
	return int(limit), cursor, err
}
