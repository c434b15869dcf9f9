package api

import (
	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/access"
)

// apiRoutes registers the REST API under /api/v1: the whole of it, in one
// table. README's API section lists the same. Role requirements sit here;
// rules that depend on the target (who may change whom, hand which
// conversation to whom) are access's, asked by the handlers.
func (s *Server) apiRoutes(v1 *gin.RouterGroup) {
	admin := requireRole(access.RoleAdmin)
	designer := requireFlowDesigner // admins and the operators they made flow designers
	supervisor := requireRole(access.RoleSupervisor)

	// The widget: a visitor's session, then everything it reads and
	// writes. When the workspace requires a verified identity, everything
	// but identifying needs one.
	widget := v1.Group("/widget")
	widget.POST("/sessions", s.limitWidgetSessions(), s.widgetSession)
	visitor := widget.Group("", s.requireVisitor)
	visitor.POST("/identify", s.limitWidgetSends(), s.widgetIdentify)
	identified := visitor.Group("", s.requireIdentity)
	identified.GET("/conversations", s.widgetListConversations)
	identified.POST("/conversations", s.limitWidgetSends(), s.widgetStartConversation)
	identified.GET("/conversations/:id", s.widgetGetConversation)
	identified.GET("/conversations/:id/messages", s.widgetListMessages)
	identified.POST("/conversations/:id/messages", s.limitWidgetSends(), s.widgetSendMessage)

	// No credential yet: logging in, signing up, redeeming a one-time token.
	v1.POST("/auth/login", s.limitLoginIP(), s.login)
	v1.POST("/signup", s.requireSignup, s.limitSignupIP(), s.signup)
	v1.POST("/invites/accept", s.limitTokenRedeem(), s.acceptInvite)
	v1.POST("/password-resets/complete", s.limitTokenRedeem(), s.completePasswordReset)

	op := v1.Group("", s.requireOperator)
	op.POST("/auth/logout", s.logout)
	op.GET("/me", s.me)
	op.PUT("/me/status", s.setStatus)

	// Conversations (conversations.go) and their lifecycle (commands.go).
	op.GET("/conversations", s.listConversations)
	op.GET("/conversation-counts", s.conversationCounts)
	op.GET("/conversations/:id", s.getConversation)
	op.GET("/conversations/:id/events", s.listEvents)
	op.GET("/conversations/:id/history", s.customerHistory)
	op.GET("/conversations/:id/messages", s.listMessages)
	op.POST("/conversations/:id/messages", s.sendMessage)
	op.POST("/conversations/:id/claim", s.claim)
	op.POST("/conversations/:id/assign", s.assign)
	op.POST("/conversations/:id/snooze", s.snooze)
	op.POST("/conversations/:id/wake", s.wake)
	op.POST("/conversations/:id/resolve", s.resolve)
	op.POST("/conversations/:id/reopen", s.reopen)
	op.POST("/conversations/:id/transfer", s.transfer)
	op.POST("/conversations/:id/priority", s.setPriority)
	op.POST("/conversations/:id/hand-back", s.handBack)
	op.POST("/conversations/:id/offer/accept", s.acceptOffer)
	op.POST("/conversations/:id/offer/decline", s.declineOffer)
	// Private notes (notes.go) and tags (tags.go) on a conversation: the
	// operators', never the visitor's.
	op.GET("/conversations/:id/notes", s.listNotes)
	op.POST("/conversations/:id/notes", s.addNote)
	op.PATCH("/conversations/:id/notes/:note_id", s.editNote)
	op.DELETE("/conversations/:id/notes/:note_id", s.deleteNote)
	op.PUT("/conversations/:id/tags/:tag_id", s.tagConversation(true))
	op.DELETE("/conversations/:id/tags/:tag_id", s.tagConversation(false))

	// The caller's notification inbox: notifications.go.
	op.GET("/notifications", s.listNotifications)
	op.GET("/notifications/unread-count", s.notificationCount)
	op.POST("/notifications/read-all", s.readAllNotifications)
	op.POST("/notifications/:id/read", s.markNotification(false, true))
	op.POST("/notifications/:id/unread", s.markNotification(false, false))
	op.POST("/notifications/:id/archive", s.markNotification(true, true))
	op.POST("/notifications/:id/unarchive", s.markNotification(true, false))

	// Tags: anyone makes one while tagging; admins rename, merge, delete.
	op.GET("/tags", s.listTags)
	op.POST("/tags", s.createTag)
	op.GET("/tags/:id", s.getTag)
	op.PATCH("/tags/:id", admin, s.updateTag)
	op.POST("/tags/:id/merge", admin, s.mergeTag)
	op.DELETE("/tags/:id", admin, s.deleteTag)

	// The supervisor's view: team.go.
	op.GET("/team", supervisor, s.team)
	op.POST("/departments/:id/distribute", supervisor, s.distribute)
	op.POST("/operators/:id/release", supervisor, s.releaseOperator)

	// People: invites.go, operators.go, passwords.go.
	op.POST("/invites", admin, s.createInvite)
	op.GET("/invites", admin, s.listInvites)
	op.DELETE("/invites/:id", admin, s.revokeInvite)
	op.GET("/operators", s.listOperators)
	op.GET("/operators/:id", s.getOperator)
	op.PATCH("/operators/:id", s.updateOperator)
	op.POST("/operators/:id/deactivate", admin, s.deactivateOperator)
	op.POST("/operators/:id/reactivate", admin, s.reactivateOperator)
	op.POST("/operators/:id/password-reset", admin, s.issuePasswordReset)

	// Structure: departments.go (and members), inboxes.go. Everyone reads
	// them (supervisors pick transfer targets, operators see where work
	// comes from); only admins change them.
	op.GET("/departments", s.listDepartments)
	op.POST("/departments", admin, s.createDepartment)
	op.GET("/departments/:id", s.getDepartment)
	op.PATCH("/departments/:id", admin, s.updateDepartment)
	op.DELETE("/departments/:id", admin, s.deleteDepartment)
	op.GET("/departments/:id/members", s.listDepartmentMembers)
	op.PUT("/departments/:id/members/:operator_id", admin, s.addDepartmentMember)
	op.DELETE("/departments/:id/members/:operator_id", admin, s.removeDepartmentMember)
	op.GET("/inboxes", s.listInboxes)
	op.POST("/inboxes", admin, s.createInbox)
	op.GET("/inboxes/:id", s.getInbox)
	op.PATCH("/inboxes/:id", admin, s.updateInbox)
	op.DELETE("/inboxes/:id", admin, s.deleteInbox)
	op.GET("/inboxes/:id/routing-rules", admin, s.routingRules)
	op.PUT("/inboxes/:id/routing-rules", admin, s.setRoutingRules)
	// Automation: flows.go, keyword_rules.go.
	op.GET("/flows", designer, s.listFlows)
	op.POST("/flows", designer, s.createFlow)
	op.POST("/flows/simulate", designer, s.simulateFlow)
	op.GET("/flow-outcomes", requireFlowReports, s.flowOutcomes)
	op.GET("/flows/:id", designer, s.getFlow)
	op.PUT("/flows/:id", designer, s.updateFlow)
	op.DELETE("/flows/:id", designer, s.deleteFlow)
	op.POST("/flows/:id/publish", designer, s.publishFlow)
	op.POST("/flows/:id/rollback", designer, s.rollbackFlow)
	op.POST("/flows/:id/unpublish", designer, s.unpublishFlow)
	op.GET("/flows/:id/versions", designer, s.listFlowVersions)
	op.GET("/flows/:id/versions/:version", designer, s.getFlowVersion)
	op.GET("/flows/:id/diff", designer, s.diffFlow)
	op.GET("/flows/:id/funnel", requireFlowReports, s.flowFunnel)
	op.GET("/keyword-rules", admin, s.listKeywordRules)
	op.POST("/keyword-rules", admin, s.createKeywordRule)
	op.GET("/keyword-rules/:id", admin, s.getKeywordRule)
	op.PATCH("/keyword-rules/:id", admin, s.updateKeywordRule)
	op.DELETE("/keyword-rules/:id", admin, s.deleteKeywordRule)
	op.GET("/resolution-types", s.listResolutionTypes)
	op.PUT("/resolution-types", admin, s.setResolutionTypes)
	// Service levels: sla.go (docs/SLA.md).
	op.GET("/sla-policies", supervisor, s.listSLAPolicies)
	op.PUT("/sla-policies", admin, s.setSLAPolicies)
	op.GET("/sla/report", supervisor, s.slaReport)
	op.GET("/sla/breaches", supervisor, s.slaBreaches)
	op.POST("/sla/what-if", supervisor, s.slaWhatIf)
	op.GET("/business-hours", s.getBusinessHours)
	op.PUT("/business-hours", admin, s.setBusinessHours)

	// Integration: api_tokens.go, workspace.go, contacts.go. An API token
	// reaches the admin routes only with the admin role, like a person.
	op.POST("/api-tokens", admin, s.createAPIToken)
	op.GET("/api-tokens", admin, s.listAPITokens)
	op.DELETE("/api-tokens/:id", admin, s.revokeAPIToken)
	op.GET("/workspace", s.getWorkspace)
	op.PATCH("/workspace", admin, s.updateWorkspace)
	op.POST("/workspace/identity-secret/rotate", admin, s.rotateIdentitySecret)
	op.GET("/contacts", s.listContacts)
	op.POST("/contacts", s.createContact)
	op.GET("/contacts/:id", s.getContact)
	op.PATCH("/contacts/:id", supervisor, s.updateContact)
	op.DELETE("/contacts/:id", admin, s.eraseContact)
	op.POST("/contacts/:id/merge", supervisor, s.mergeContact)
	op.GET("/contacts/:id/comments", s.listComments)
	op.POST("/contacts/:id/comments", s.addComment)
	op.PATCH("/contacts/:id/comments/:comment_id", s.editComment)
	op.DELETE("/contacts/:id/comments/:comment_id", s.deleteComment)
	op.GET("/contact-attributes", s.listAttributeDefs)
	op.PUT("/contact-attributes", admin, s.setAttributeDefs)
	op.PUT("/contacts/:id/tags/:tag_id", s.tagContact(true))
	op.DELETE("/contacts/:id/tags/:tag_id", s.tagContact(false))

	// Operations: audit.go, outbox.go.
	op.GET("/audit-log", admin, s.auditLog)
	op.GET("/outbox/dead-letters", admin, s.listDeadLetters)
	op.POST("/outbox/dead-letters/:id/retry", admin, s.retryDeadLetter)
}
