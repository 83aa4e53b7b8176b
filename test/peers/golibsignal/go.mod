module ponton.test/golibsignal

go 1.25.0

require (
	go.mau.fi/libsignal v0.2.2
	golang.org/x/crypto v0.52.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
