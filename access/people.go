package access

import "github.com/google/uuid"

// Rules about people and credentials: who may give which role, change,
// deactivate or reset whom, mint which token, read which secret.

// MayGrant reports whether the viewer may give or take role r: only
// owners handle the owner and admin roles, admins the others.
func (v Viewer) MayGrant(r string) bool {
	if r == RoleOwner || r == RoleAdmin {
		return v.Role == RoleOwner
	}
	return AtLeast(v.Role, RoleAdmin)
}

// MayInvite says whether the viewer may invite someone with role r.
func (v Viewer) MayInvite(r string) error {
	if !v.MayGrant(r) {
		return deny("only an owner may invite an admin")
	}
	return nil
}

// MayEditOperator says whether the viewer may change operator target at
// all: themselves, or anyone as an admin. It is checked before the
// request's body, so the answer is the same whatever is sent.
func (v Viewer) MayEditOperator(target uuid.UUID) error {
	if target != v.OperatorID && !AtLeast(v.Role, RoleAdmin) {
		return deny("this needs the admin role or above")
	}
	return nil
}

// MayChangeRole says whether the viewer may change operator target's role
// from one role to another: admins may; nobody but an owner changes their
// own role; only owners grant or take owner and admin.
func (v Viewer) MayChangeRole(target uuid.UUID, from, to string) error {
	if !AtLeast(v.Role, RoleAdmin) {
		return &Denied{Reason: "changing a role needs the admin role or above", Field: "role"}
	}
	if from == to {
		return nil
	}
	if target == v.OperatorID && v.Role != RoleOwner {
		return &Denied{Reason: "you cannot change your own role", Field: "role"}
	}
	if !v.MayGrant(from) || !v.MayGrant(to) {
		return &Denied{Reason: "only an owner may grant or take the owner or admin role", Field: "role"}
	}
	return nil
}

// MaySetActive says whether the viewer may deactivate or reactivate
// operator target, who has role targetRole.
func (v Viewer) MaySetActive(target uuid.UUID, targetRole string) error {
	if target == v.OperatorID {
		return &Denied{Reason: "you cannot deactivate or reactivate yourself", Self: true}
	}
	if !v.MayGrant(targetRole) {
		return deny("only an owner may deactivate or reactivate an owner or admin")
	}
	return nil
}

// MayResetPassword says whether the viewer may issue a password reset for
// operator target: not for themselves (they change it knowing the old
// one), and an owner's or admin's only as an owner (otherwise an admin
// could take over an owner's account).
func (v Viewer) MayResetPassword(target uuid.UUID, targetRole string) error {
	if target == v.OperatorID {
		return &Denied{Reason: "reset another operator's password, not your own", Self: true}
	}
	if !v.MayGrant(targetRole) {
		return deny("only an owner may reset an owner's or admin's password")
	}
	return nil
}

// MayCreateToken says whether the viewer may mint an API token with role
// r: never above their own.
func (v Viewer) MayCreateToken(r string) error {
	if !AtLeast(v.Role, r) {
		return &Denied{Reason: "a token cannot have a role above its creator's", Field: "role"}
	}
	return nil
}

// SeesSecrets reports whether the viewer reads the workspace's identity
// secret and contacts' CS notes: admins and owners.
func (v Viewer) SeesSecrets() bool { return AtLeast(v.Role, RoleAdmin) }

// MayWriteCSNotes says whether the viewer may write a contact's CS notes.
func (v Viewer) MayWriteCSNotes() error {
	if !v.SeesSecrets() {
		return &Denied{Reason: "CS notes are for admins only", Field: "cs_notes"}
	}
	return nil
}
