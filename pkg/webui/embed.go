package webui

import "embed"

//go:embed templates/*.html pages/*.html static locales/*.json
var embedded embed.FS
