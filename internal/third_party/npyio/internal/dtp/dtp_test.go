// Copyright 2025 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package dtp

import (
	"fmt"
	"reflect"
	"testing"

	"codeberg.org/sbinet/npyio/internal/dtp/ast"
	"codeberg.org/sbinet/npyio/internal/dtp/token"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want ast.Node
		err  error
	}{
		{
			expr: "",
			want: nil,
		},
		{
			expr: "''",
			want: &ast.Literal{Text: `''`, Kind: token.String},
		},
		{
			expr: "'<i8'",
			want: &ast.Literal{Text: `'<i8'`, Kind: token.String},
		},
		{
			expr: "()",
			want: &ast.Tuple{
				Rparen: 1,
			},
		},
		{
			expr: "('name', '<U10')",
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `'name'`, Kind: token.String},
					&ast.Literal{LitPos: 9, Text: `'<U10'`, Kind: token.String},
				},
				Rparen: 15,
			},
		},
		{
			expr: `('na\'me', '<U10')`,
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `'na\'me'`, Kind: token.String},
					&ast.Literal{LitPos: 11, Text: `'<U10'`, Kind: token.String},
				},
				Rparen: 17,
			},
		},
		{
			expr: `('na"me', '<U10')`,
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `'na"me'`, Kind: token.String},
					&ast.Literal{LitPos: 10, Text: `'<U10'`, Kind: token.String},
				},
				Rparen: 16,
			},
		},
		{
			expr: `(1,)`,
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `1`, Kind: token.Number},
				},
				Rparen: 3,
			},
		},
		{
			expr: `(1, )`,
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `1`, Kind: token.Number},
				},
				Rparen: 4,
			},
		},
		{
			expr: `(1, 2)`,
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.Literal{LitPos: 1, Text: `1`, Kind: token.Number},
					&ast.Literal{LitPos: 4, Text: `2`, Kind: token.Number},
				},
				Rparen: 5,
			},
		},
		{
			expr: "[]",
			want: &ast.List{
				Rbrack: 1,
			},
		},
		{
			expr: `[('','>f4')]`,
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Literal{LitPos: 2, Text: `''`, Kind: token.String},
							&ast.Literal{LitPos: 5, Text: `'>f4'`, Kind: token.String},
						},
						Rparen: 10,
					},
				},
				Rbrack: 11,
			},
		},
		{
			expr: "[('name', '<U10'), ('age', '<i2')]",
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Literal{LitPos: 2, Text: `'name'`, Kind: token.String},
							&ast.Literal{LitPos: 10, Text: `'<U10'`, Kind: token.String},
						},
						Rparen: 16,
					},
					&ast.Tuple{
						Lparen: 19,
						X: []ast.Node{
							&ast.Literal{LitPos: 20, Text: `'age'`, Kind: token.String},
							&ast.Literal{LitPos: 27, Text: `'<i2'`, Kind: token.String},
						},
						Rparen: 32,
					},
				},
				Rbrack: 33,
			},
		},
		{
			expr: `[('name', '<U16'), ('grades', '<f8', (42,))]`,
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Literal{LitPos: 2, Text: `'name'`, Kind: token.String},
							&ast.Literal{LitPos: 10, Text: `'<U16'`, Kind: token.String},
						},
						Rparen: 16,
					},
					&ast.Tuple{
						Lparen: 19,
						X: []ast.Node{
							&ast.Literal{LitPos: 20, Text: `'grades'`, Kind: token.String},
							&ast.Literal{LitPos: 30, Text: `'<f8'`, Kind: token.String},
							&ast.Tuple{
								Lparen: 37,
								X: []ast.Node{
									&ast.Literal{LitPos: 38, Text: `42`, Kind: token.Number},
								},
								Rparen: 41,
							},
						},
						Rparen: 42,
					},
				},
				Rbrack: 43,
			},
		},
		{
			expr: `[('f1', '<u8'), ('f2', '<u8', (3, 2))]`,
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Literal{
								LitPos: 2,
								Text:   `'f1'`,
								Kind:   token.String,
							},
							&ast.Literal{
								LitPos: 8,
								Text:   `'<u8'`,
								Kind:   token.String,
							},
						},
						Rparen: 13,
					},
					&ast.Tuple{
						Lparen: 16,
						X: []ast.Node{
							&ast.Literal{
								LitPos: 17,
								Text:   `'f2'`,
								Kind:   token.String,
							},
							&ast.Literal{
								LitPos: 23,
								Text:   `'<u8'`,
								Kind:   token.String,
							},
							&ast.Tuple{
								Lparen: 30,
								X: []ast.Node{
									&ast.Literal{LitPos: 31, Text: `3`, Kind: token.Number},
									&ast.Literal{LitPos: 34, Text: `2`, Kind: token.Number},
								},
								Rparen: 35,
							},
						},
						Rparen: 36,
					},
				},
				Rbrack: 37,
			},
		},
		{
			expr: `[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8')])]`,
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Literal{
								LitPos: 2,
								Text:   `'ff1'`,
								Kind:   token.String,
							},
							&ast.Literal{
								LitPos: 9,
								Text:   `'<u8'`,
								Kind:   token.String,
							},
						},
						Rparen: 14,
					},
					&ast.Tuple{
						Lparen: 17,
						X: []ast.Node{
							&ast.Literal{
								LitPos: 18,
								Text:   `'ff2'`,
								Kind:   token.String,
							},
							&ast.List{
								Lbrack: 25,
								X: []ast.Node{
									&ast.Tuple{
										Lparen: 26,
										X: []ast.Node{
											&ast.Literal{
												LitPos: 27,
												Text:   `'f1'`,
												Kind:   token.String,
											},
											&ast.Literal{
												LitPos: 33,
												Text:   `'<u8'`,
												Kind:   token.String,
											},
										},
										Rparen: 38,
									},
									&ast.Tuple{
										Lparen: 41,
										X: []ast.Node{
											&ast.Literal{
												LitPos: 42,
												Text:   `'f2'`,
												Kind:   token.String,
											},
											&ast.Literal{
												LitPos: 48,
												Text:   `'<u8'`,
												Kind:   token.String,
											},
										},
										Rparen: 53,
									},
								},
								Rbrack: 54,
							},
						},
						Rparen: 55,
					},
				},
				Rbrack: 56,
			},
		},
		{
			expr: `[(('title-1', 'F1'), '<f8'), (('title-2', 'F2'), '<i4')]`,
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						X: []ast.Node{
							&ast.Tuple{
								Lparen: 2,
								X: []ast.Node{
									&ast.Literal{LitPos: 3, Text: `'title-1'`, Kind: token.String},
									&ast.Literal{LitPos: 14, Text: `'F1'`, Kind: token.String},
								},
								Rparen: 18,
							},
							&ast.Literal{LitPos: 21, Text: `'<f8'`, Kind: token.String},
						},
						Rparen: 26,
					},
					&ast.Tuple{
						Lparen: 29,
						X: []ast.Node{
							&ast.Tuple{
								Lparen: 30,
								X: []ast.Node{
									&ast.Literal{LitPos: 31, Text: `'title-2'`, Kind: token.String},
									&ast.Literal{LitPos: 42, Text: `'F2'`, Kind: token.String},
								},
								Rparen: 46,
							},
							&ast.Literal{LitPos: 49, Text: `'<i4'`, Kind: token.String},
						},
						Rparen: 54,
					},
				},
				Rbrack: 55,
			},
		},
		// edge cases
		{
			expr: "[()]",
			want: &ast.List{
				X: []ast.Node{
					&ast.Tuple{
						Lparen: 1,
						Rparen: 2,
					},
				},
				Rbrack: 3,
			},
		},
		{
			expr: "([])",
			want: &ast.Tuple{
				X: []ast.Node{
					&ast.List{
						Lbrack: 1,
						Rbrack: 2,
					},
				},
				Rparen: 3,
			},
		},
		// errors
		{
			expr: "'",
			err:  fmt.Errorf(`could not parse dtype string "'": <stdin>:1:1: literal not terminated`),
		},
		{
			expr: `"`,
			err:  fmt.Errorf(`could not parse dtype string "\"": <stdin>:1:1: literal not terminated`),
		},
		{
			expr: "(,)",
			err:  fmt.Errorf(`could not parse dtype string "(,)": <stdin>:1:1: invalid syntax`),
		},
		{
			expr: "[,]",
			err:  fmt.Errorf(`could not parse dtype string "[,]": <stdin>:1:1: invalid syntax`),
		},
		{
			expr: "[('f1', '<u8', (2, 3.1))]",
			err:  fmt.Errorf(`could not parse dtype string "[('f1', '<u8', (2, 3.1))]": <stdin>:1:19: not an integer`),
		},
		{
			expr: "[('f1', 'u8')",
			err:  fmt.Errorf(`could not parse dtype string "[('f1', 'u8')": <stdin>:1: list not terminated`),
		},
		{
			expr: "[('f1', 'u8']",
			err:  fmt.Errorf(`could not parse dtype string "[('f1', 'u8']": <stdin>:1:1: tuple not terminated`),
		},
		{
			expr: `[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8'))]`,
			err:  fmt.Errorf(`could not parse dtype string "[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8'))]": <stdin>:1:25: list not terminated`),
		},
		{
			expr: `[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8')]]`,
			err:  fmt.Errorf(`could not parse dtype string "[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8')]]": <stdin>:1:17: tuple not terminated`),
		},
		{
			expr: "( , 'f1', '<u8')",
			err:  fmt.Errorf(`could not parse dtype string "( , 'f1', '<u8')": <stdin>:1:2: invalid syntax`),
		},
		{
			expr: "('f1', , '<u8')",
			err:  fmt.Errorf(`could not parse dtype string "('f1', , '<u8')": <stdin>:1:7: invalid syntax`),
		},
		{
			expr: "[ , ('f1', '<u8')]",
			err:  fmt.Errorf(`could not parse dtype string "[ , ('f1', '<u8')]": <stdin>:1:2: invalid syntax`),
		},
		{
			expr: "[('f1', '<u8'), , ('f2', '<u8')]",
			err:  fmt.Errorf(`could not parse dtype string "[('f1', '<u8'), , ('f2', '<u8')]": <stdin>:1:16: invalid syntax`),
		},
	} {
		t.Run("", func(t *testing.T) {
			got, err := Parse(tc.expr)
			switch {
			case err == nil && tc.err == nil:
				// ok
			case err == nil && tc.err != nil:
				t.Fatalf("expected an error %q", tc.err)
			case err != nil && tc.err == nil:
				t.Fatalf("could not parse %q: %v", tc.expr, err)
			case err != nil && tc.err != nil:
				if got, want := err.Error(), tc.err.Error(); got != want {
					t.Fatalf("invalid error:\ngot= %q\nwant=%q", got, want)
				}
				return
			}

			if got, want := got, tc.want; !reflect.DeepEqual(got, want) {
				t.Fatalf("could not parse %q:\ngot= %+v\nwant=%+v\ngot= %s\nwant=%s\ndiff:\n%s", tc.expr, got, want, repr(got), repr(want), cmp.Diff(got, want))
			}
		})
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want any
	}{
		{
			expr: "'<i8'",
			want: "<i8",
		},
		{
			expr: "()",
			want: ([]any)(nil),
		},
		{
			expr: "('name', '<U10')",
			want: []any{"name", "<U10"},
		},
		{
			expr: "(1,)",
			want: []any{1},
		},
		{
			expr: "(1, 2)",
			want: []any{1, 2},
		},
		{
			expr: "[]",
			want: ([]any)(nil),
		},
		{
			expr: "[('', '>f4')]",
			want: []any{[]any{"", ">f4"}},
		},
		{
			expr: "[('name', '<U10'), ('age', '<i2')]",
			want: []any{[]any{"name", "<U10"}, []any{"age", "<i2"}},
		},
		{
			expr: "[('name', '<U16'), ('grades', '<f8', (42,))]",
			want: []any{[]any{"name", "<U16"}, []any{"grades", "<f8", []any{42}}},
		},
		{
			expr: `[('f1', '<u8'), ('f2', '<u8', (3, 2))]`,
			want: []any{[]any{"f1", "<u8"}, []any{"f2", "<u8", []any{3, 2}}},
		},
		{
			expr: `[('ff1', '<u8'), ('ff2', [('f1', '<u8'), ('f2', '<u8')])]`,
			want: []any{[]any{"ff1", "<u8"}, []any{"ff2", []any{[]any{"f1", "<u8"}, []any{"f2", "<u8"}}}},
		},
		// edge cases
		{
			expr: "[()]",
			want: []any{([]any)(nil)},
		},
		{
			expr: "([])",
			want: []any{([]any)(nil)},
		},
	} {
		t.Run("", func(t *testing.T) {
			v, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("could not parse expression: %v", err)
			}
			got, err := Convert(v)
			if err != nil {
				t.Fatalf("could not convert ast: %v", err)
			}

			if got, want := got, tc.want; !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid conversion:\ngot= %+v\nwant=%+v", got, want)
			}
		})
	}
}
