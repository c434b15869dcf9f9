package access

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestCanSee(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	a, b := uuid.New(), uuid.New()
	op := Viewer{OperatorID: me, Role: RoleOperator, Departments: []uuid.UUID{a}}
	sup := Viewer{OperatorID: me, Role: RoleSupervisor, Departments: []uuid.UUID{a}}
	admin := Viewer{OperatorID: me, Role: RoleAdmin}

	cases := []struct {
		name        string
		v           Viewer
		dept, asg   *uuid.UUID
		see, manage bool
	}{
		{"operator: own department queue", op, &a, nil, true, false},
		{"operator: colleague's conversation in own department", op, &a, &other, false, false},
		{"operator: assigned to me in another department", op, &b, &me, true, false},
		{"operator: other department queue", op, &b, nil, false, false},
		{"operator: unrouted", op, nil, nil, true, false},
		{"supervisor: colleague's conversation in own department", sup, &a, &other, true, true},
		{"supervisor: other department", sup, &b, nil, false, false},
		{"admin: anything", admin, &b, &other, true, true},
	}
	for _, c := range cases {
		require.Equal(t, c.see, c.v.CanSee(c.dept, c.asg), c.name)
		require.Equal(t, c.manage, c.v.CanManage(c.dept), c.name)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	require.True(t, AtLeast(RoleOwner, RoleAdmin))
	require.True(t, AtLeast(RoleAdmin, RoleAdmin))
	require.False(t, AtLeast(RoleSupervisor, RoleAdmin))
	require.False(t, AtLeast("root", RoleOperator))
	require.False(t, ValidRole(""))
}
