package envelope

// Exported for the external tests and the vector generator, which record the
// intermediate encodings for other implementations.
var (
	CanonicalHeader = canonicalHeader
	SignedBody      = signedBody
	SignedReceipt   = signedReceipt
)
