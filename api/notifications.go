package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

var notificationFilters = map[string]bool{
	store.NotificationsAll: true, store.NotificationsUnread: true, store.NotificationsArchived: true,
}

// listNotifications is the caller's notification inbox, newest first:
// filter all (default: not archived), unread, or archived; keyset pages.
// The unread count comes with every page.
func (s *Server) listNotifications(c *gin.Context) {
	p := principalOf(c)
	filter := c.DefaultQuery("filter", store.NotificationsAll)
	if !notificationFilters[filter] {
		fail(c, badRequest("filter", "filter must be all, unread or archived"))
		return
	}
	limit, cursor, err := page(c, defaultLimit, maxLimit)
	if err != nil {
		fail(c, err)
		return
	}
	items, next, err := s.Store.Notifications(c, p.WorkspaceID, p.OperatorID, filter, cursor, limit)
	if err != nil {
		fail(c, err)
		return
	}
	unread, err := s.Store.UnreadNotifications(c, p.WorkspaceID, p.OperatorID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notifications": items, "unread": unread, "next_cursor": encodeCursor(next)})
}

// notificationCount answers the caller's unread count alone (a badge).
func (s *Server) notificationCount(c *gin.Context) {
	p := principalOf(c)
	unread, err := s.Store.UnreadNotifications(c, p.WorkspaceID, p.OperatorID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"unread": unread})
}

// markNotification returns a handler that reads or unreads (archive
// false), archives or unarchives (archive true) one of the caller's
// items, as value says; another operator's is a 404.
func (s *Server) markNotification(archive, value bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c)
		if err != nil {
			fail(c, err)
			return
		}
		p := principalOf(c)
		var item store.Notification
		if archive {
			item, err = s.Store.ArchiveNotification(c, p.WorkspaceID, p.OperatorID, id, value)
		} else {
			item, err = s.Store.MarkNotification(c, p.WorkspaceID, p.OperatorID, id, value)
		}
		if err != nil {
			fail(c, notFoundOr(err))
			return
		}
		s.notifier().Changed(c, bus.TypeNotificationsChanged, p.WorkspaceID, p.OperatorID, &item)
		c.JSON(http.StatusOK, gin.H{"notification": item})
	}
}

// readAllNotifications marks every unread item of the caller read.
func (s *Server) readAllNotifications(c *gin.Context) {
	p := principalOf(c)
	n, err := s.Store.ReadAllNotifications(c, p.WorkspaceID, p.OperatorID)
	if err != nil {
		fail(c, err)
		return
	}
	s.notifier().Changed(c, bus.TypeNotificationsChanged, p.WorkspaceID, p.OperatorID, nil)
	c.JSON(http.StatusOK, gin.H{"marked": n})
}
