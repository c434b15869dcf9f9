package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// fill sets every field of v (a pointer to a struct) to a value that is
// not its zero.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case reflect.Struct:
		switch v.Interface().(type) {
		case time.Time:
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i))
		}
	case reflect.Array: // uuid.UUID
		v.Set(reflect.ValueOf(uuid.New()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint8:
		v.SetUint(1)
	default:
		t.Fatalf("no filler for %s", v.Type())
	}
}

// TestAppliedRowCarriesEveryColumn: a column added to conversations reaches
// the conversation a lifecycle change returns (appliedRow copies field by
// field; a forgotten one would silently read as empty).
func TestAppliedRowCarriesEveryColumn(t *testing.T) {
	var r dbsqlc.ConversationApplyLifecycleRow
	fill(t, reflect.ValueOf(&r).Elem())
	got := reflect.ValueOf(appliedRow(r))
	for i := range got.NumField() {
		if got.Field(i).IsZero() {
			t.Errorf("appliedRow leaves conversations.%s out", got.Type().Field(i).Name)
		}
	}
}
