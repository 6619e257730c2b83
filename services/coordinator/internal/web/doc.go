// Package web is the coordinator's pages: the case list and a case's
// cross-border timeline, the overdue list with the notices sent, the
// members' freshness, the joint indicators with their charts, the targets'
// progress, a printable report for a joint review meeting, and CSV exports.
//
// The pages are server-rendered with pkg/webui, work without JavaScript and
// are for people with the coordinator role only. They read through the
// coordinator's own queries (package coordinator), so a page and the JSON
// API show the same figures; like the API, they hold no personal data,
// because the coordinator has none.
package web
