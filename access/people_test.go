package access

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestPeopleRules(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	owner := Viewer{OperatorID: me, Role: RoleOwner}
	admin := Viewer{OperatorID: me, Role: RoleAdmin}
	sup := Viewer{OperatorID: me, Role: RoleSupervisor}
	op := Viewer{OperatorID: me, Role: RoleOperator}

	allowed := func(err error) bool { return err == nil }
	self := func(err error) bool {
		var d *Denied
		return errors.As(err, &d) && d.Self
	}

	// Inviting: owners anyone, admins below admin, nobody else.
	require.True(t, allowed(owner.MayInvite(RoleAdmin)))
	require.False(t, allowed(admin.MayInvite(RoleAdmin)))
	require.True(t, allowed(admin.MayInvite(RoleSupervisor)))
	require.False(t, allowed(sup.MayInvite(RoleOperator)))

	// Editing an operator: oneself, or anyone as an admin.
	require.True(t, allowed(op.MayEditOperator(me)))
	require.False(t, allowed(op.MayEditOperator(other)))
	require.True(t, allowed(admin.MayEditOperator(other)))

	// Roles.
	require.False(t, allowed(op.MayChangeRole(me, RoleOperator, RoleOperator)), "a role in the body needs admin")
	require.True(t, allowed(admin.MayChangeRole(other, RoleOperator, RoleSupervisor)))
	require.True(t, allowed(admin.MayChangeRole(me, RoleAdmin, RoleAdmin)), "no change is no change")
	require.False(t, allowed(admin.MayChangeRole(me, RoleAdmin, RoleOperator)), "nobody but an owner changes their own role")
	require.False(t, allowed(admin.MayChangeRole(other, RoleOperator, RoleAdmin)), "only owners grant admin")
	require.False(t, allowed(admin.MayChangeRole(other, RoleOwner, RoleOperator)), "only owners take owner")
	require.True(t, allowed(owner.MayChangeRole(other, RoleOperator, RoleOwner)))
	require.True(t, allowed(owner.MayChangeRole(me, RoleOwner, RoleAdmin)), "an owner may step down (the store keeps one owner)")

	// Deactivating and password resets: never oneself (409), an owner or
	// admin only as an owner.
	require.True(t, self(owner.MaySetActive(me, RoleOwner)))
	require.False(t, allowed(admin.MaySetActive(other, RoleOwner)))
	require.True(t, allowed(admin.MaySetActive(other, RoleOperator)))
	require.True(t, self(admin.MayResetPassword(me, RoleAdmin)))
	require.False(t, allowed(admin.MayResetPassword(other, RoleAdmin)))
	require.True(t, allowed(owner.MayResetPassword(other, RoleAdmin)))

	// Tokens never above their creator; secrets for admins.
	require.True(t, allowed(sup.MayCreateToken(RoleOperator)))
	require.False(t, allowed(sup.MayCreateToken(RoleAdmin)))
	require.True(t, admin.SeesSecrets())
	require.False(t, sup.SeesSecrets())
	require.False(t, allowed(sup.MayWriteCSNotes()))
}

func TestAssignAndTransferRules(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	a, b := uuid.New(), uuid.New()
	op := Viewer{OperatorID: me, Role: RoleOperator, Departments: []uuid.UUID{a}}
	sup := Viewer{OperatorID: me, Role: RoleSupervisor, Departments: []uuid.UUID{a}}

	require.NoError(t, op.MayAssign(&a, nil, &me), "taking a queued conversation")
	require.NoError(t, op.MayAssign(&a, &me, nil), "releasing one's own")
	require.ErrorIs(t, op.MayAssign(&a, nil, &other), ErrCannotManage, "giving it to a colleague")
	require.ErrorIs(t, op.MayAssign(&a, &other, &me), ErrCannotManage, "taking a colleague's")
	require.NoError(t, sup.MayAssign(&a, &other, &me))
	require.ErrorIs(t, sup.MayAssign(&b, nil, &other), ErrCannotManage, "another department")
	require.NoError(t, sup.MayTransfer(&a))
	require.ErrorIs(t, op.MayTransfer(&a), ErrCannotManage)
}
