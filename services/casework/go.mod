module github.com/corridor-org/corridor/services/casework

go 1.26.0
