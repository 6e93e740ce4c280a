package setting_test

import (
	"errors"
	"fmt"

	"nccheck/setting"
)

// Regularisation strengths are kept exactly as their decimal text gives
// them: 1e-4 is 1/10000, not the nearest float64.
func ExampleParseDecimal() {
	d, err := setting.ParseDecimal("1e-4")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d, d.Rat(), d.Float64())
	// Output:
	// 1e-4 1/10000 0.0001
}

// Validation names the field and the value; a command maps the field to its
// flag.
func ExampleSetting_Validate() {
	s := setting.Setting{Counts: []int{1000, 0, 2000}, Dim: 16,
		LambdaW: setting.MustDecimal("1e-4"), LambdaH: setting.MustDecimal("1e-5")}
	err := s.Validate()
	var ie *setting.InputError
	if errors.As(err, &ie) {
		fmt.Println(ie.Field)
	}
	fmt.Println(err)
	s.Counts[1] = 500
	fmt.Println(s, s.K(), s.N(), s.Validate())
	// Output:
	// Counts
	// Counts "1000,0,2000": entry 2 (0) is below 1: every class needs a sample
	// n=(1000,500,2000) d=16 lW=1e-4 lH=1e-5 3 3500 <nil>
}
