package access

import (
	"slices"

	"github.com/google/uuid"
)

// Rules about conversations: who sees one, who may hand one to whom.

// CanSee reports whether the viewer may see a conversation with this
// department and assignee.
func (v Viewer) CanSee(department, assignee *uuid.UUID) bool {
	switch {
	case v.SeesAll():
		return true
	case assignee != nil && *assignee == v.OperatorID:
		return true
	case department == nil:
		return true
	case !v.InDepartment(*department):
		return false
	case v.Role == RoleSupervisor:
		return true
	default:
		return assignee == nil
	}
}

// CanManage reports whether the viewer may assign, transfer or distribute
// a conversation of this department to others: admins anywhere,
// supervisors in their departments (or an unrouted conversation).
func (v Viewer) CanManage(department *uuid.UUID) bool {
	if v.SeesAll() {
		return true
	}
	if v.Role != RoleSupervisor {
		return false
	}
	return department == nil || v.InDepartment(*department)
}

// ErrCannotManage is the refusal of CanManage.
var ErrCannotManage error = &Denied{Reason: "only an admin or a supervisor of the conversation's department may give it to someone else or move it"}

// MayAssign says whether the viewer may set a conversation of department,
// now with assignee (nil: queued), to target (nil: back to the queue).
// Anyone who sees it may take it or release it; giving it to someone else
// or taking it from someone else needs CanManage.
func (v Viewer) MayAssign(department, assignee, target *uuid.UUID) error {
	givesToOther := target != nil && *target != v.OperatorID
	takesFromOther := assignee != nil && *assignee != v.OperatorID
	if (givesToOther || takesFromOther) && !v.CanManage(department) {
		return ErrCannotManage
	}
	return nil
}

// MayTransfer says whether the viewer may move a conversation of
// department to another department.
func (v Viewer) MayTransfer(department *uuid.UUID) error {
	if !v.CanManage(department) {
		return ErrCannotManage
	}
	return nil
}

// MayManageDepartment says whether the viewer may hand out a department's
// queue (distribute it): admins anywhere, supervisors in their departments.
func (v Viewer) MayManageDepartment(department uuid.UUID) error {
	if !v.CanManage(&department) {
		return ErrCannotManage
	}
	return nil
}

// MayRelease says whether the viewer may give an operator's conversations
// back to the queue: admins anyone's, supervisors those of the people of
// their departments (in those departments only; ReleaseScope).
func (v Viewer) MayRelease(operatorDepartments []uuid.UUID) error {
	if v.SeesAll() || (v.Role == RoleSupervisor && slices.ContainsFunc(operatorDepartments, v.InDepartment)) {
		return nil
	}
	return deny("only an admin or a supervisor of one of their departments may give an operator's conversations back to the queue")
}

// ReleaseScope is the departments whose conversations the viewer may give
// back: all of them for admins, else their own.
func (v Viewer) ReleaseScope() (all bool, departments []uuid.UUID) {
	return v.SeesAll(), v.Departments
}

// MayChangeNote: a private note (or a comment on a contact) is its
// author's to edit or delete; admins may change anyone's (one that should
// not have been written).
func (v Viewer) MayChangeNote(author uuid.UUID) error {
	if author == v.OperatorID || v.SeesAll() {
		return nil
	}
	return deny("only the note's author or an admin may change it")
}
