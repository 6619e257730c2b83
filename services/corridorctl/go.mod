module github.com/corridor-org/corridor/services/corridorctl

go 1.26.0

require github.com/corridor-org/corridor/pkg v0.0.0-00010101000000-000000000000

require (
	github.com/corridor-org/corridor/proto v0.0.0-00010101000000-000000000000 // indirect
	github.com/gabriel-vasile/mimetype v1.4.16 // indirect
	github.com/go-playground/locales v0.14.2 // indirect
	github.com/go-playground/universal-translator v0.18.2 // indirect
	github.com/go-playground/validator/v10 v10.30.6 // indirect
	github.com/leodido/go-urn v1.5.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/corridor-org/corridor/pkg => ../../pkg

replace github.com/corridor-org/corridor/proto => ../../proto
