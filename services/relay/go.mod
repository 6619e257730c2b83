module github.com/corridor-org/corridor/services/relay

go 1.26.0
