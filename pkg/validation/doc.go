// Package validation is the one go-playground validator of the corridor:
// built once with every custom tag the corridor's types use, naming fields by
// their JSON names, and reporting failures as a KindInvalid *corridor.Error
// whose fields are JSON paths ("child.languages[0]") with messages that never
// repeat the rejected value, since it may be personal data.
//
// Services take the process's instance from Default when they are built and
// keep it; library code whose functions carry no validator (exchange rows,
// directory and key files) takes the same instance. Checks that need more than
// one value's tags (the clock, the directory, rules between fields) stay with
// the type they check and run after Fields.
package validation
