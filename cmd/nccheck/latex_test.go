package main

import "testing"

func TestLaTeXHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"epoch", "epoch"},
		{"NC2_W bal", `$\mathrm{NC2}_{W}$ bal`},
		{"NC2_WWT", `$\mathrm{NC2}_{WWT}$`},
		{"||w_k||^2 pred", `$\|w_{k}\|^{2}$ pred`},
		{"lambda_W (fit)", `$\lambda_{W}$ (fit)`},
		{"cos(w_k,mu_k)", `$\cos(w_{k},\mu_{k})$`},
		{"rho_k", `$\rho_{k}$`},
		{"test n_k", `test $n_{k}$`},
		{"max cos", "max cos"},
	} {
		if got := latexHeader(tc.in); got != tc.want {
			t.Errorf("latexHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
