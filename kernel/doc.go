// Package kernel is the vocabulary every layer of Jiujinan shares: who is
// asking (Principal, roles, organizations), the codes of the domain
// (categories, household types, services, statutory programmes, urgency, age
// bands, need statuses), the administrative divisions (GB/T 2260), fund
// restrictions and the facts of a need they are checked against, the
// screening outcome types, the error kinds (ErrNotFound, ErrConflict,
// ErrForbidden, ValidationError, Refusal) and China's calendar time.
//
// It holds values and pure rules only: it imports the standard library and
// nothing else of the project, and every other package may import it.
package kernel
