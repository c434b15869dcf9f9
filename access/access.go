// Package access holds Switchboard's authorization rules, in one place, so
// the HTTP handlers, the inbox query and the socket hub all apply the same
// ones.
//
// Roles, from most to least powerful: owner, admin, supervisor, operator.
// Owners and admins see and do everything in their workspace. A supervisor
// sees every conversation of the departments they belong to and may
// assign, transfer and distribute them. An operator sees the queue
// (unassigned conversations) of their departments and the conversations
// assigned to them. A conversation with no department (a workspace that
// has not set departments up) is visible to everyone in the workspace.
package access

import (
	"slices"

	"github.com/google/uuid"
)

// Roles.
const (
	RoleOwner      = "owner"
	RoleAdmin      = "admin"
	RoleSupervisor = "supervisor"
	RoleOperator   = "operator"
)

var rank = map[string]int{RoleOperator: 1, RoleSupervisor: 2, RoleAdmin: 3, RoleOwner: 4}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return rank[r] > 0 }

// AtLeast reports whether role r is min or more powerful.
func AtLeast(r, min string) bool { return rank[r] >= rank[min] && rank[r] > 0 }

// Viewer is who acts: an operator (or an API token acting for one) with
// their role (a token's, when lower than its operator's) and departments.
type Viewer struct {
	WorkspaceID uuid.UUID
	OperatorID  uuid.UUID
	Role        string
	Departments []uuid.UUID
	// FlowDesigner: an admin let this operator design bot flows.
	FlowDesigner bool
}

// MayDesignFlows says whether the viewer may define, simulate, publish
// and roll back bot flows: admins, and the operators an admin made flow
// designers.
func (v Viewer) MayDesignFlows() error {
	if AtLeast(v.Role, RoleAdmin) || v.FlowDesigner {
		return nil
	}
	return deny("designing bot flows needs the admin role or the flow designer permission")
}

// MayReadFlowReports says whether the viewer may read bot flows' funnels
// and outcomes: supervisors and above, and flow designers.
func (v Viewer) MayReadFlowReports() error {
	if AtLeast(v.Role, RoleSupervisor) || v.FlowDesigner {
		return nil
	}
	return deny("flow reports need the supervisor role or the flow designer permission")
}

// MaySetFlowDesigner says whether the viewer may give or take the flow
// designer permission: admins.
func (v Viewer) MaySetFlowDesigner() error {
	if !AtLeast(v.Role, RoleAdmin) {
		return &Denied{Reason: "only admins make flow designers", Field: "flow_designer"}
	}
	return nil
}

// MaySetCapacity says whether the viewer may set how many conversations
// an operator carries at once: supervisors and above (they balance the
// load).
func (v Viewer) MaySetCapacity() error {
	if !AtLeast(v.Role, RoleSupervisor) {
		return &Denied{Reason: "only supervisors and above set an operator's capacity", Field: "max_concurrent"}
	}
	return nil
}

// SeesAll reports whether the viewer sees the whole workspace.
func (v Viewer) SeesAll() bool { return AtLeast(v.Role, RoleAdmin) }

// InDepartment reports whether the viewer belongs to department d.
func (v Viewer) InDepartment(d uuid.UUID) bool { return slices.Contains(v.Departments, d) }

// Denied is a refusal by one of the rules here. The API answers it 403
// forbidden with Reason as the message, or, when Self is set (a rule
// against doing something to oneself), 409 self.
type Denied struct {
	Reason string
	Field  string // the request field the refusal is about, if one
	Self   bool
}

func (d *Denied) Error() string { return d.Reason }

func deny(reason string) error { return &Denied{Reason: reason} }
