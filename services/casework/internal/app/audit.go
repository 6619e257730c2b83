package app

import "github.com/corridor-org/corridor/pkg/audit"

// auditActor is casework acting on its own account in the audit trail.
var auditActor = audit.Service("casework")
