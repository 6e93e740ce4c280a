module codeberg.org/sbinet/npyio

go 1.25

require (
	github.com/campoy/embedmd v1.0.0
	github.com/google/go-cmp v0.7.0
	github.com/nlpodyssey/gopickle v0.3.0
	golang.org/x/text v0.34.0
	gonum.org/v1/gonum v0.17.0
)

require github.com/pmezard/go-difflib v1.0.0 // indirect

tool github.com/campoy/embedmd
