package activities

import "github.com/switchboardhq/switchboard/workflows"

// Names under which the worker registers the activities the workflows
// execute by name (workflows cannot import this package: it imports
// workflows for the payload types). They equal the method names, so
// registering an *Activities with worker.RegisterActivity uses them; a
// worker that registers methods one by one must pass these names in
// activity.RegisterOptions.
const (
	// LoadConversationName is (*Activities).LoadConversation:
	// workflows.LoadConversationInput → workflows.ConversationState.
	LoadConversationName = workflows.ActivityLoadConversation
	// PersistChangeName is (*Activities).PersistChange:
	// workflows.Change → workflows.PersistResult.
	PersistChangeName = workflows.ActivityPersistChange
	// CleanUpName is (*Activities).CleanUp: → workflows.CleanUpResult.
	CleanUpName = workflows.ActivityCleanUp
)
