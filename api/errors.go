package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/access"
)

// apiError is the body of every error response:
// {"error":{"code":"...","message":"...","field":"..."}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_input", Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	errNotFound        = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	errUnauthenticated = &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "log in first"}
)

// fail aborts the request with err rendered as the API's error body.
func fail(c *gin.Context, err error) {
	var ae *apiError
	var denied *access.Denied
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &denied) && denied.Self:
		ae = &apiError{Status: http.StatusConflict, Code: "self", Field: denied.Field, Message: denied.Reason}
	case errors.As(err, &denied):
		ae = &apiError{Status: http.StatusForbidden, Code: "forbidden", Field: denied.Field, Message: denied.Reason}
	default:
		ae = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
		_ = c.Error(err)
	}
	c.AbortWithStatusJSON(ae.Status, gin.H{"error": ae})
}

// maxBody caps every JSON request body.
const maxBody = 64 << 10

// bindJSON decodes a JSON object body strictly: unknown fields, trailing
// data, a wrong type or a body over 64 KiB are 400s naming the field.
func bindJSON(c *gin.Context, dst any) error {
	if ct := c.ContentType(); ct != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send Content-Type: application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("", "unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("", "unexpected data after the JSON object")
	}
	return nil
}

// validator is a request body that checks (and normalises) itself once
// decoded.
type validator interface{ validate() error }

// bind decodes the JSON body into req (a pointer) and, when req is a
// validator, validates it. On failure it answers the error and reports
// false: handlers say `if !bind(c, &req) { return }`.
func bind(c *gin.Context, req any) bool {
	err := bindJSON(c, req)
	if v, ok := req.(validator); ok && err == nil {
		err = v.validate()
	}
	if err != nil {
		fail(c, err)
		return false
	}
	return true
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		return badRequest(typeErr.Field, "%s must be a %s", typeErr.Field, typeErr.Type.String())
	case errors.As(err, &syntaxErr):
		return badRequest("", "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &maxErr):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "request body over 64 KiB"}
	case errors.Is(err, io.EOF):
		return badRequest("", "request body is empty")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(field, "unknown field %q", field)
	default:
		// Includes uuid and time parse errors from UnmarshalJSON/UnmarshalText.
		return badRequest("", "invalid JSON: %v", err)
	}
}

func nameTaken(what string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "name_taken", Field: "name", Message: "another " + what + " has that name"}
}

func conflict(code, msg string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: code, Message: msg}
}

// unprocessable is a 422 naming the field: well-formed input that refers
// to something it may not (another inbox's department).
func unprocessable(field, message string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: field, Message: message}
}
