module github.com/corridor-org/corridor/services/coordinator

go 1.26.0
