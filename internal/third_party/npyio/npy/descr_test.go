// Copyright 2025 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package npy

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/internal/dtp"
	"codeberg.org/sbinet/npyio/internal/dtp/ast"
	"codeberg.org/sbinet/npyio/npy/float16"
	"github.com/google/go-cmp/cmp"
)

func TestDescr(t *testing.T) {
	var (
		le = binary.LittleEndian
		be = binary.BigEndian
	)
	for _, tc := range []struct {
		expr  string
		align bool
		want  ArrayDescr
	}{
		{
			expr: "'<b1'",
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'>b1'",
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'|b1'",
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'=b1'",
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'bool'",
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'<u1'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'>u1'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'=u1'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'|u1'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'uint8'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 1,
				align: 1,
			},
		},
		{
			expr: "'<u2'",
			want: ArrayDescr{
				kind:  'u',
				order: le,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'>u2'",
			want: ArrayDescr{
				kind:  'u',
				order: be,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'=u2'",
			want: ArrayDescr{
				kind:  'u',
				order: nativeEndian,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'|u2'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'uint16'",
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'f2'",
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'float16'",
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				esize: 2,
				align: 2,
			},
		},
		{
			expr: "'f4'",
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				esize: 4,
				align: 4,
			},
		},
		{
			expr: "'<f4'",
			want: ArrayDescr{
				kind:  'f',
				order: le,
				esize: 4,
				align: 4,
			},
		},
		{
			expr: "'>f4'",
			want: ArrayDescr{
				kind:  'f',
				order: be,
				esize: 4,
				align: 4,
			},
		},
		{
			expr: "'|f4'",
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				esize: 4,
				align: 4,
			},
		},
		{
			expr: "'=f4'",
			want: ArrayDescr{
				kind:  'f',
				order: nativeEndian,
				esize: 4,
				align: 4,
			},
		},
		{
			expr: "'<f8'",
			want: ArrayDescr{
				kind:  'f',
				order: le,
				esize: 8,
				align: 8,
			},
		},
		{
			expr: "'<c8'",
			want: ArrayDescr{
				kind:  'c',
				order: le,
				esize: 8,
				align: 4,
			},
		},
		{
			expr: "'>c8'",
			want: ArrayDescr{
				kind:  'c',
				order: be,
				esize: 8,
				align: 4,
			},
		},
		{
			expr: "'=c8'",
			want: ArrayDescr{
				kind:  'c',
				order: nativeEndian,
				esize: 8,
				align: 4,
			},
		},
		{
			expr: "'|c8'",
			want: ArrayDescr{
				kind:  'c',
				order: nil,
				esize: 8,
				align: 4,
			},
		},
		{
			expr: "'<c16'",
			want: ArrayDescr{
				kind:  'c',
				order: le,
				esize: 16,
				align: 8,
			},
		},
		{
			expr: "'>c16'",
			want: ArrayDescr{
				kind:  'c',
				order: be,
				esize: 16,
				align: 8,
			},
		},
		{
			expr: "'=c16'",
			want: ArrayDescr{
				kind:  'c',
				order: nativeEndian,
				esize: 16,
				align: 8,
			},
		},
		{
			expr: "'|c16'",
			want: ArrayDescr{
				kind:  'c',
				order: nil,
				esize: 16,
				align: 8,
			},
		},
		{
			expr: "'S10'",
			want: ArrayDescr{
				kind:  'S',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'<S10'",
			want: ArrayDescr{
				kind:  'S',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'U10'",
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				esize: 40,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: "'<U10'",
			want: ArrayDescr{
				kind:  'U',
				order: le,
				esize: 40,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: "'>U10'",
			want: ArrayDescr{
				kind:  'U',
				order: be,
				esize: 40,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: "'=U10'",
			want: ArrayDescr{
				kind:  'U',
				order: nativeEndian,
				esize: 40,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: "'|U10'",
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				esize: 40,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: "'<O'",
			want: ArrayDescr{
				kind:  'O',
				order: nil,
				esize: 8,
				align: 8,
				flags: npyObjectDtypeFlags,
			},
		},
		{
			expr: "'>O'",
			want: ArrayDescr{
				kind:  'O',
				order: nil,
				esize: 8,
				align: 8,
				flags: npyObjectDtypeFlags,
			},
		},
		{
			expr: "'=O'",
			want: ArrayDescr{
				kind:  'O',
				order: nil,
				esize: 8,
				align: 8,
				flags: npyObjectDtypeFlags,
			},
		},
		{
			expr: "'|O'",
			want: ArrayDescr{
				kind:  'O',
				order: nil,
				esize: 8,
				align: 8,
				flags: npyObjectDtypeFlags,
			},
		},
		{
			expr: "'object'",
			want: ArrayDescr{
				kind:  'O',
				order: nil,
				esize: 8,
				align: 8,
				flags: npyObjectDtypeFlags,
			},
		},
		{
			expr: "'V10'",
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'<V10'",
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'>V10'",
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'=V10'",
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: "'|V10'",
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 10,
				align: 1,
			},
		},
		{
			expr: `('<f8', (16,4))`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 512,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: le,
						esize: 8,
						align: 8,
					},
					shape: []int{16, 4},
				},
			},
		},
		{
			expr:  `('<f8', (16,4))`,
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 512,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: le,
						esize: 8,
						align: 8,
					},
					shape: []int{16, 4},
				},
			},
		},
		{
			expr: `('>f8', (16,4))`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 512,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: be,
						esize: 8,
						align: 8,
					},
					shape: []int{16, 4},
				},
			},
		},
		{
			expr: `('|f8', (16,4))`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 512,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: nil,
						esize: 8,
						align: 8,
					},
					shape: []int{16, 4},
				},
			},
		},
		{
			expr: `('=f8', (16,4))`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 512,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: nativeEndian,
						esize: 8,
						align: 8,
					},
					shape: []int{16, 4},
				},
			},
		},
		{
			expr: `('<f8', 10)`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 80,
				align: 8,
				subarr: &subarrayDescr{
					dtype: ArrayDescr{
						kind:  'f',
						order: le,
						esize: 8,
						align: 8,
					},
					shape: []int{10},
				},
			},
		},
		{
			expr: `('S', 42)`,
			want: ArrayDescr{
				kind:  'S',
				order: nil,
				esize: 42,
				align: 1,
			},
		},
		{
			expr: `('U', 42)`,
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				esize: 168,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: `('<U', 42)`,
			want: ArrayDescr{
				kind:  'U',
				order: le,
				esize: 168,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: `('>U', 42)`,
			want: ArrayDescr{
				kind:  'U',
				order: be,
				esize: 168,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: `('|U', 42)`,
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				esize: 168,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: `('=U', 42)`,
			want: ArrayDescr{
				kind:  'U',
				order: nativeEndian,
				esize: 168,
				align: 4,
				flags: npyNeedsInit,
			},
		},
		{
			expr: `('V', 42)`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 42,
				align: 1,
			},
		},
		{
			expr: `[('name', '<U10'), ('age', '<i4'), ('weight', '<f4')]`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 48,
				align: 1,
				flags: npyNeedsPyAPI | npyNeedsInit,
				names: []string{"name", "age", "weight"},
				fields: structFields{
					"name": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: le,
							esize: 40,
							align: 4,
							flags: npyNeedsInit,
						},
						offset: 0,
					},
					"age": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 40,
					},
					"weight": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 44,
					},
				},
			},
		},
		{
			expr:  `[('name', '<U10'), ('age', '<i4'), ('weight', '<f4')]`,
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 48,
				align: 4,
				flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
				names: []string{"name", "age", "weight"},
				fields: structFields{
					"name": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: le,
							esize: 40,
							align: 4,
							flags: npyNeedsInit,
						},
						offset: 0,
					},
					"age": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 40,
					},
					"weight": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 44,
					},
				},
			},
		},
		{
			expr: `[(('title-1', 'name'), '<U10'), (('title-2', 'age'), '<i4')]`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 44,
				align: 1,
				flags: npyNeedsPyAPI | npyNeedsInit,
				names: []string{"name", "age"},
				fields: structFields{
					"name": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: le,
							esize: 40,
							align: 4,
							flags: npyNeedsInit,
						},
						offset: 0,
						title:  "title-1",
					},
					"title-1": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: le,
							esize: 40,
							align: 4,
							flags: npyNeedsInit,
						},
						offset: 0,
						title:  "title-1",
					},
					"age": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 40,
						title:  "title-2",
					},
					"title-2": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 40,
						title:  "title-2",
					},
				},
			},
		},
		{
			expr: `[('f1', '<f4'), ('f2', [('f3', '<f8'), ('f4', '<u1'), ('f5', '<u2')])]`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 15,
				align: 1,
				flags: npyNeedsPyAPI,
				names: []string{"f1", "f2"},
				fields: structFields{
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							esize: 11,
							align: 1,
							flags: npyNeedsPyAPI,
							names: []string{"f3", "f4", "f5"},
							fields: structFields{
								"f3": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: le,
										esize: 8,
										align: 8,
									},
									offset: 0,
								},
								"f4": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: nil,
										esize: 1,
										align: 1,
									},
									offset: 8,
								},
								"f5": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: le,
										esize: 2,
										align: 2,
									},
									offset: 9,
								},
							},
						},
						offset: 4,
					},
				},
			},
		},
		{
			expr:  `[('f1', '<f4'), ('f2', [('f3', '<f8'), ('f4', '<u1'), ('f5', '<u2')])]`,
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 24,
				align: 8,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				names: []string{"f1", "f2"},
				fields: structFields{
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							esize: 16,
							align: 8,
							flags: npyNeedsPyAPI | npyAlignedStruct,
							names: []string{"f3", "f4", "f5"},
							fields: structFields{
								"f3": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: le,
										esize: 8,
										align: 8,
									},
									offset: 0,
								},
								"f4": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: nil,
										esize: 1,
										align: 1,
									},
									offset: 8,
								},
								"f5": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: le,
										esize: 2,
										align: 2,
									},
									offset: 10,
								},
							},
						},
						offset: 8,
					},
				},
			},
		},
		{
			expr: `[('f1', '<f4'), ('f2', [('f3', '<f8'), ('f4', '<U3'), ('f5', '<u2')])]`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 26,
				align: 1,
				flags: npyNeedsPyAPI | npyNeedsInit,
				names: []string{"f1", "f2"},
				fields: structFields{
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							esize: 22,
							align: 1,
							flags: npyNeedsPyAPI | npyNeedsInit,
							names: []string{"f3", "f4", "f5"},
							fields: structFields{
								"f3": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: le,
										esize: 8,
										align: 8,
									},
									offset: 0,
								},
								"f4": structField{
									dtype: ArrayDescr{
										kind:  'U',
										order: le,
										esize: 12,
										align: 4,
										flags: npyNeedsInit,
									},
									offset: 8,
								},
								"f5": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: le,
										esize: 2,
										align: 2,
									},
									offset: 20,
								},
							},
						},
						offset: 4,
					},
				},
			},
		},
		{
			expr:  `[('f1', '<f4'), ('f2', [('f3', '<f8'), ('f4', '<U3'), ('f5', '<u2')])]`,
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 32,
				align: 8,
				flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
				names: []string{"f1", "f2"},
				fields: structFields{
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							esize: 24,
							align: 8,
							flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
							names: []string{"f3", "f4", "f5"},
							fields: structFields{
								"f3": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: le,
										esize: 8,
										align: 8,
									},
									offset: 0,
								},
								"f4": structField{
									dtype: ArrayDescr{
										kind:  'U',
										order: le,
										esize: 12,
										align: 4,
										flags: npyNeedsInit,
									},
									offset: 8,
								},
								"f5": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: le,
										esize: 2,
										align: 2,
									},
									offset: 20,
								},
							},
						},
						offset: 8,
					},
				},
			},
		},
		{
			expr: `[('ival','>i4'), ('data','>f8',(16,4))]`,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				esize: 516,
				align: 1,
				flags: npyNeedsPyAPI,
				names: []string{"ival", "data"},
				fields: structFields{
					"ival": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: be,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"data": structField{
						dtype: ArrayDescr{
							kind:  'V',
							esize: 512,
							align: 8,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'f',
									order: be,
									esize: 8,
									align: 8,
								},
								shape: []int{16, 4},
							},
						},
						offset: 4,
					},
				},
			},
		},
		{
			expr: `[('F1','<u4'), ('F2', 'S1'), ('F3', '<f4')]`,
			want: ArrayDescr{
				kind:  'V',
				esize: 9,
				align: 1,
				flags: npyNeedsPyAPI,
				names: []string{"F1", "F2", "F3"},
				fields: structFields{
					"F1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'S',
							esize: 1,
							align: 1,
						},
						offset: 4,
					},
					"F3": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 5,
					},
				},
			},
		},
		{
			expr:  `[('F1','<u4'), ('F2', 'S1'), ('F3', '<f4')]`,
			align: true,
			want: ArrayDescr{
				kind:  'V',
				esize: 12,
				align: 4,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				names: []string{"F1", "F2", "F3"},
				fields: structFields{
					"F1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'S',
							esize: 1,
							align: 1,
						},
						offset: 4,
					},
					"F3": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							esize: 4,
							align: 4,
						},
						offset: 8,
					},
				},
			},
		},
	} {
		t.Run("", func(t *testing.T) {
			t.Logf("testing expr: %s (align=%v)", tc.expr, tc.align)
			node, err := dtp.Parse(tc.expr)
			if err != nil {
				t.Fatalf("could not parse %q: %v", tc.expr, err)
			}

			descr, err := newDescrFrom(node, tc.align)
			if err != nil {
				t.Fatalf("could not create descr array from %q: %v", tc.expr, err)
			}

			if got, want := descr.kind, tc.want.kind; got != want {
				t.Errorf("invalid kind: got=%q, want=%q", got, want)
			}
			if got, want := descr.order, tc.want.order; got != want {
				t.Errorf("invalid order: got=%q, want=%q", orderToString(got), orderToString(want))
			}
			if got, want := descr.esize, tc.want.esize; got != want {
				t.Errorf("invalid esize: got=%d, want=%d", got, want)
			}
			if got, want := descr.align, tc.want.align; got != want {
				t.Errorf("invalid align: got=%d, want=%d", got, want)
			}
			if got, want := descr.flags, tc.want.flags; got != want {
				t.Errorf("invalid flags: got=0x%x, want=0x%x", got, want)
			}

			if got, want := descr.names, tc.want.names; !reflect.DeepEqual(got, want) {
				t.Errorf("invalid names:\ngot= %q\nwant=%q", got, want)
			}

			func(got, want structFields) {
				t.Helper()

				if got, want := len(got), len(want); got != want {
					t.Errorf("invalid fields: got=%d, want=%d", got, want)
				}

				for _, name := range tc.want.names {
					if got, want := got[name].dtype.kind, want[name].dtype.kind; got != want {
						t.Errorf("invalid field type for %q: got=%q, want=%q", name, string(got), string(want))
					}
					if got, want := got[name].offset, want[name].offset; got != want {
						t.Errorf("invalid field offset for %q: got=%d, want=%d", name, got, want)
					}
				}
			}(descr.fields, tc.want.fields)

			if got, want := *descr, tc.want; !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid descr:\n%s", cmp.Diff(got, want, diffOpts...))
			}
		})
	}
}

func TestDescrFromGoType(t *testing.T) {
	var (
		be = binary.BigEndian
		le = binary.LittleEndian
	)

	type t0 struct {
		F0 uint8  `npy:"f0"`
		F1 uint16 `npy:"f1"`
		F2 uint16 `npy:"f2, descr='>u2'"`
		F3 uint16 `npy:"f3, descr='<u2'"`
		F4 uint16 `npy:"f4, descr='|u2'"`
		F5 uint16 `npy:"f5, descr='=u2'"`
	}

	type t1 struct {
		F0 uint8
		F1 uint16
	}

	type t2 struct {
		F0 uint8      `npy:"f0"`
		F1 string     `npy:"f1"`
		F2 string     `npy:"f2,descr='|U2'"` // test w/ 'U2', but data requires 'U3'
		F3 float64    `npy:"f3"`
		F4 [3]float64 `npy:"f4"`
	}

	type t3 struct {
		F0 float64 `npy:"f0"`
		F1 uint8   `npy:"f1"`
		F2 float64 `npy:"f2"`
	}

	type t4 struct {
		F0 float64 `npy:"f0"`
		F1 t3      `npy:"f1"`
		F2 [2]t3   `npy:"f2"`
	}

	type t5 struct {
		F0 []string `npy:"str,descr=('|U10', (3,))"`
	}

	type t6 struct {
		F0 []string `npy:"str,descr='|O'"`
	}

	type t7 struct {
		Str string
	}

	type t8 struct {
		F0 []uint16 `npy:"f0,descr=('>u2', (3,))"`
	}

	type t9 struct {
		F0 uint8
		f1 uint8
		F2 uint8
	}

	type t10 struct {
		F0 uint8
		F1 uint8 `npy:"-"`
		F2 uint8
	}

	type t11 struct {
		F0 [3]float64 `npy:"F0, descr=('>f8', (3,))"`
	}

	type t12 struct {
		F1 int8
		F2 float64 `npy:"F2, descr='<f8'"`
		F3 float64 `npy:"F3, descr='<f8'"`
	}

	type t13 struct {
		F0 string `npy:"F2, descr='|O'"`
	}

	for _, tc := range []struct {
		val   any
		align bool
		want  ArrayDescr
		err   error
	}{
		{
			val: false,
			want: ArrayDescr{
				kind:  'b',
				flags: 0,
				esize: 1,
				align: 1,
				rt:    boolType,
			},
		},
		{
			val: int8(0),
			want: ArrayDescr{
				kind:  'i',
				flags: 0,
				esize: 1,
				align: 1,
				rt:    int8Type,
			},
		},
		{
			val: int16(0),
			want: ArrayDescr{
				kind:  'i',
				flags: 0,
				esize: 2,
				align: 2,
				rt:    int16Type,
			},
		},
		{
			val: int32(0),
			want: ArrayDescr{
				kind:  'i',
				flags: 0,
				esize: 4,
				align: 4,
				rt:    int32Type,
			},
		},
		{
			val: int64(0),
			want: ArrayDescr{
				kind:  'i',
				flags: 0,
				esize: 8,
				align: 8,
				rt:    int64Type,
			},
		},
		{
			val: uint8(0),
			want: ArrayDescr{
				kind:  'u',
				flags: 0,
				esize: 1,
				align: 1,
				rt:    uint8Type,
			},
		},
		{
			val: uint16(0),
			want: ArrayDescr{
				kind:  'u',
				flags: 0,
				esize: 2,
				align: 2,
				rt:    uint16Type,
			},
		},
		{
			val: uint32(0),
			want: ArrayDescr{
				kind:  'u',
				flags: 0,
				esize: 4,
				align: 4,
				rt:    uint32Type,
			},
		},
		{
			val: uint64(0),
			want: ArrayDescr{
				kind:  'u',
				flags: 0,
				esize: 8,
				align: 8,
				rt:    uint64Type,
			},
		},
		{
			val: float16.Num{},
			want: ArrayDescr{
				kind:  'f',
				flags: 0,
				esize: 2,
				align: 2,
				rt:    float16Type,
			},
		},
		{
			val: float32(0),
			want: ArrayDescr{
				kind:  'f',
				flags: 0,
				esize: 4,
				align: 4,
				rt:    float32Type,
			},
		},
		{
			val: float64(0),
			want: ArrayDescr{
				kind:  'f',
				flags: 0,
				esize: 8,
				align: 8,
				rt:    float64Type,
			},
		},
		{
			val: complex(float32(0), float32(0)),
			want: ArrayDescr{
				kind:  'c',
				flags: 0,
				esize: 8,
				align: 4,
				rt:    complex64Type,
			},
		},
		{
			val: complex(float64(0), float64(0)),
			want: ArrayDescr{
				kind:  'c',
				flags: 0,
				esize: 16,
				align: 8,
				rt:    complex128Type,
			},
		},
		{
			val: "hello",
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				flags: npyNeedsInit,
				esize: 20,
				align: 4,
				rt:    stringType,
			},
		},
		{
			val: t0{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 11,
				align: 1,
				names: []string{"f0", "f1", "f2", "f3", "f4", "f5"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 1,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: be,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 3,
					},
					"f3": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: le,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 5,
					},
					"f4": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 7,
					},
					"f5": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nativeEndian,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 9,
					},
				},
				rt: reflect.TypeFor[t0](),
			},
		},
		{
			val: t1{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 3,
				align: 1,
				names: []string{"F0", "F1"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 1,
					},
				},
				rt: reflect.TypeFor[t1](),
			},
		},
		{
			val: t2{F0: 1, F1: "a", F2: "abc", F3: 1.1, F4: [3]float64{1, 2, 3}},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit,
				esize: 49,
				align: 1,
				names: []string{"f0", "f1", "f2", "f3", "f4"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 4,
							align: 4,
							rt:    stringType,
						},
						offset: 1,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 12,
							align: 4,
							rt:    stringType,
						},
						offset: 5,
					},
					"f3": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 17,
					},
					"f4": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 24,
							align: 8,
							rt:    reflect.TypeFor[[3]float64](),
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'f',
									order: nil,
									flags: 0,
									esize: 8,
									align: 8,
									rt:    float64Type,
								},
								shape: []int{3},
							},
						},
						offset: 25,
					},
				},
				rt: reflect.TypeFor[t2](),
			},
		},
		{
			val: t3{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 17,
				align: 1,
				names: []string{"f0", "f1", "f2"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 8,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 9,
					},
				},
				rt: reflect.TypeFor[t3](),
			},
		},
		{
			val: t4{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 59,
				align: 1,
				names: []string{"f0", "f1", "f2"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsPyAPI,
							esize: 17,
							align: 1,
							names: []string{"f0", "f1", "f2"},
							fields: structFields{
								"f0": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 8,
										align: 8,
										rt:    float64Type,
									},
									offset: 0,
								},
								"f1": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: nil,
										esize: 1,
										align: 1,
										rt:    uint8Type,
									},
									offset: 8,
								},
								"f2": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 8,
										align: 8,
										rt:    float64Type,
									},
									offset: 9,
								},
							},
							rt: reflect.TypeFor[t3](),
						},
						offset: 8,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsPyAPI,
							esize: 34,
							align: 1,
							rt:    reflect.TypeFor[[2]t3](),
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'V',
									order: nil,
									flags: npyNeedsPyAPI,
									esize: 17,
									align: 1,
									names: []string{"f0", "f1", "f2"},
									fields: structFields{
										"f0": structField{
											dtype: ArrayDescr{
												kind:  'f',
												order: nil,
												esize: 8,
												align: 8,
												rt:    float64Type,
											},
											offset: 0,
										},
										"f1": structField{
											dtype: ArrayDescr{
												kind:  'u',
												order: nil,
												esize: 1,
												align: 1,
												rt:    uint8Type,
											},
											offset: 8,
										},
										"f2": structField{
											dtype: ArrayDescr{
												kind:  'f',
												order: nil,
												esize: 8,
												align: 8,
												rt:    float64Type,
											},
											offset: 9,
										},
									},
									rt: reflect.TypeFor[t3](),
								},
								shape: []int{2},
							},
						},
						offset: 25,
					},
				},
				rt: reflect.TypeFor[t4](),
			},
		},
		{
			val: t5{F0: []string{"", "1", "1234567890"}},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit,
				esize: 120,
				align: 1,
				names: []string{"str"},
				fields: structFields{
					"str": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsInit,
							esize: 120,
							align: 4,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'U',
									order: nil,
									flags: npyNeedsInit,
									esize: 40,
									align: 4,
									rt:    stringType,
								},
								shape: []int{3},
							},
							rt: reflect.TypeFor[[]string](),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t5](),
			},
		},
		{
			val: t6{F0: []string{"a", "bb", "ccc"}},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyFromFields,
				esize: 8,
				align: 1,
				names: []string{"str"},
				fields: structFields{
					"str": structField{
						dtype: ArrayDescr{
							kind:  'O',
							order: nil,
							flags: npyObjectDtypeFlags,
							esize: 8,
							align: 8,
							rt:    anyType,
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t6](),
			},
		},
		{
			val: t7{Str: "hello"},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit,
				esize: 20,
				align: 1,
				names: []string{"Str"},
				fields: structFields{
					"Str": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 20,
							align: 4,
							rt:    stringType,
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t7](),
			},
		},
		{
			val: t8{F0: []uint16{1, 2, 3}},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 6,
				align: 1,
				names: []string{"f0"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 6,
							align: 2,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'u',
									order: be,
									flags: 0,
									esize: 2,
									align: 2,
									rt:    uint16Type,
								},
								shape: []int{3},
							},
							rt: reflect.TypeFor[[]uint16](),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t8](),
			},
		},
		{
			val: t9{f1: 0},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 2,
				align: 1,
				names: []string{"F0", "F2"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 1, // FIXME(sbinet): impedance mismatch with Go binary offset
					},
				},
				rt: reflect.TypeFor[t9](),
			},
		},
		{
			val: t10{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 2,
				align: 1,
				names: []string{"F0", "F2"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 1, // FIXME(sbinet): impedance mismatch with Go binary offset
					},
				},
				rt: reflect.TypeFor[t10](),
			},
		},
		{
			val: t11{},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI,
				esize: 24,
				align: 1,
				names: []string{"F0"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 24,
							align: 8,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'f',
									order: be,
									flags: 0,
									esize: 8,
									align: 8,
									rt:    float64Type,
								},
								shape: []int{3},
							},
							rt: reflect.ArrayOf(3, float64Type),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t11](),
			},
		},
		{
			val: t13{F0: "hello"},
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyFromFields,
				esize: 8,
				align: 1,
				names: []string{"F2"},
				fields: structFields{
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'O',
							order: nil,
							flags: npyObjectDtypeFlags,
							esize: 8,
							align: 8,
							rt:    anyType,
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t13](),
			},
		},
		{
			val: [3]bool{true, false, true},
			want: ArrayDescr{
				kind:  'b',
				order: nil,
				flags: 0,
				esize: 1,
				align: 1,
				rt:    boolType,
			},
		},
		{
			val: [3]uint8{1, 2, 3},
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				flags: 0,
				esize: 1,
				align: 1,
				rt:    uint8Type,
			},
		},
		{
			val: [3]uint16{1, 2, 3},
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				flags: 0,
				esize: 2,
				align: 2,
				rt:    uint16Type,
			},
		},
		{
			val: [3]uint32{1, 2, 3},
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				flags: 0,
				esize: 4,
				align: 4,
				rt:    uint32Type,
			},
		},
		{
			val: [3]uint64{1, 2, 3},
			want: ArrayDescr{
				kind:  'u',
				order: nil,
				flags: 0,
				esize: 8,
				align: 8,
				rt:    uint64Type,
			},
		},
		{
			val: [3]int8{1, 2, 3},
			want: ArrayDescr{
				kind:  'i',
				order: nil,
				flags: 0,
				esize: 1,
				align: 1,
				rt:    int8Type,
			},
		},
		{
			val: [3]int16{1, 2, 3},
			want: ArrayDescr{
				kind:  'i',
				order: nil,
				flags: 0,
				esize: 2,
				align: 2,
				rt:    int16Type,
			},
		},
		{
			val: [3]int32{1, 2, 3},
			want: ArrayDescr{
				kind:  'i',
				order: nil,
				flags: 0,
				esize: 4,
				align: 4,
				rt:    int32Type,
			},
		},
		{
			val: [3]int64{1, 2, 3},
			want: ArrayDescr{
				kind:  'i',
				order: nil,
				flags: 0,
				esize: 8,
				align: 8,
				rt:    int64Type,
			},
		},
		{
			val: [3]float16.Num{float16.New(1), float16.New(2), float16.New(3)},
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				flags: 0,
				esize: 2,
				align: 2,
				rt:    float16Type,
			},
		},
		{
			val: [3]float32{1, 2, 3},
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				flags: 0,
				esize: 4,
				align: 4,
				rt:    float32Type,
			},
		},
		{
			val: [3]float64{1, 2, 3},
			want: ArrayDescr{
				kind:  'f',
				order: nil,
				flags: 0,
				esize: 8,
				align: 8,
				rt:    float64Type,
			},
		},
		{
			val: [3]complex64{1, 2, 3},
			want: ArrayDescr{
				kind:  'c',
				order: nil,
				flags: 0,
				esize: 8,
				align: 4,
				rt:    complex64Type,
			},
		},
		{
			val: [3]complex128{1, 2, 3},
			want: ArrayDescr{
				kind:  'c',
				order: nil,
				flags: 0,
				esize: 16,
				align: 8,
				rt:    complex128Type,
			},
		},
		{
			val: [3]string{"a", "abc", "éè"},
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				flags: npyNeedsInit,
				esize: 12,
				align: 4,
				rt:    stringType,
			},
		},
		// now with aligned.
		{
			val:   "hello",
			align: true,
			want: ArrayDescr{
				kind:  'U',
				order: nil,
				flags: npyNeedsInit,
				esize: 20,
				align: 4,
				rt:    stringType,
			},
		},
		{
			val:   t0{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 12,
				align: 2,
				names: []string{"f0", "f1", "f2", "f3", "f4", "f5"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 2,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: be,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 4,
					},
					"f3": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: le,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 6,
					},
					"f4": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 8,
					},
					"f5": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nativeEndian,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 10,
					},
				},
				rt: reflect.TypeFor[t0](),
			},
		},
		{
			val:   t1{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 4,
				align: 2,
				names: []string{"F0", "F1"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 2,
							align: 2,
							rt:    uint16Type,
						},
						offset: 2,
					},
				},
				rt: reflect.TypeFor[t1](),
			},
		},
		{
			val:   t2{F0: 1, F1: "a", F2: "abc", F3: 1.1, F4: [3]float64{1, 2, 3}},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
				esize: 56,
				align: 8,
				names: []string{"f0", "f1", "f2", "f3", "f4"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 4,
							align: 4,
							rt:    stringType,
						},
						offset: 4,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 12,
							align: 4,
							rt:    stringType,
						},
						offset: 8,
					},
					"f3": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 24,
					},
					"f4": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 24,
							align: 8,
							rt:    reflect.TypeFor[[3]float64](),
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'f',
									order: nil,
									flags: 0,
									esize: 8,
									align: 8,
									rt:    float64Type,
								},
								shape: []int{3},
							},
						},
						offset: 32,
					},
				},
				rt: reflect.TypeFor[t2](),
			},
		},
		{
			val:   t3{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 24,
				align: 8,
				names: []string{"f0", "f1", "f2"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 8,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 16,
					},
				},
				rt: reflect.TypeFor[t3](),
			},
		},
		{
			val:   t4{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 80,
				align: 8,
				names: []string{"f0", "f1", "f2"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: nil,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 0,
					},
					"f1": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsPyAPI | npyAlignedStruct,
							esize: 24,
							align: 8,
							names: []string{"f0", "f1", "f2"},
							fields: structFields{
								"f0": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 8,
										align: 8,
										rt:    float64Type,
									},
									offset: 0,
								},
								"f1": structField{
									dtype: ArrayDescr{
										kind:  'u',
										order: nil,
										esize: 1,
										align: 1,
										rt:    uint8Type,
									},
									offset: 8,
								},
								"f2": structField{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 8,
										align: 8,
										rt:    float64Type,
									},
									offset: 16,
								},
							},
							rt: reflect.TypeFor[t3](),
						},
						offset: 8,
					},
					"f2": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsPyAPI | npyAlignedStruct,
							esize: 48,
							align: 8,
							rt:    reflect.TypeFor[[2]t3](),
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'V',
									order: nil,
									flags: npyNeedsPyAPI | npyAlignedStruct,
									esize: 24,
									align: 8,
									names: []string{"f0", "f1", "f2"},
									fields: structFields{
										"f0": structField{
											dtype: ArrayDescr{
												kind:  'f',
												order: nil,
												esize: 8,
												align: 8,
												rt:    float64Type,
											},
											offset: 0,
										},
										"f1": structField{
											dtype: ArrayDescr{
												kind:  'u',
												order: nil,
												esize: 1,
												align: 1,
												rt:    uint8Type,
											},
											offset: 8,
										},
										"f2": structField{
											dtype: ArrayDescr{
												kind:  'f',
												order: nil,
												esize: 8,
												align: 8,
												rt:    float64Type,
											},
											offset: 16,
										},
									},
									rt: reflect.TypeFor[t3](),
								},
								shape: []int{2},
							},
						},
						offset: 32,
					},
				},
				rt: reflect.TypeFor[t4](),
			},
		},
		{
			val:   t5{F0: []string{"", "1", "1234567890"}},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
				esize: 120,
				align: 4,
				names: []string{"str"},
				fields: structFields{
					"str": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: npyNeedsInit,
							esize: 120,
							align: 4,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'U',
									order: nil,
									flags: npyNeedsInit,
									esize: 40,
									align: 4,
									rt:    stringType,
								},
								shape: []int{3},
							},
							rt: reflect.TypeFor[[]string](),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t5](),
			},
		},
		{
			val:   t6{F0: []string{"a", "bb", "ccc"}},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyFromFields | npyAlignedStruct,
				esize: 8,
				align: 8,
				names: []string{"str"},
				fields: structFields{
					"str": structField{
						dtype: ArrayDescr{
							kind:  'O',
							order: nil,
							flags: npyObjectDtypeFlags,
							esize: 8,
							align: 8,
							rt:    anyType,
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t6](),
			},
		},
		{
			val:   t7{Str: "hello"},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyNeedsInit | npyAlignedStruct,
				esize: 20,
				align: 4,
				names: []string{"Str"},
				fields: structFields{
					"Str": structField{
						dtype: ArrayDescr{
							kind:  'U',
							order: nil,
							flags: npyNeedsInit,
							esize: 20,
							align: 4,
							rt:    stringType,
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t7](),
			},
		},
		{
			val:   t8{F0: []uint16{1, 2, 3}},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 6,
				align: 2,
				names: []string{"f0"},
				fields: structFields{
					"f0": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 6,
							align: 2,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'u',
									order: be,
									flags: 0,
									esize: 2,
									align: 2,
									rt:    uint16Type,
								},
								shape: []int{3},
							},
							rt: reflect.TypeFor[[]uint16](),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t8](),
			},
		},
		{
			val:   t9{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 2,
				align: 1,
				names: []string{"F0", "F2"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 1, // FIXME(sbinet): impedance mismatch with Go binary offset
					},
				},
				rt: reflect.TypeFor[t9](),
			},
		},
		{
			val:   t10{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 2,
				align: 1,
				names: []string{"F0", "F2"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'u',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    uint8Type,
						},
						offset: 1, // FIXME(sbinet): impedance mismatch with Go binary offset
					},
				},
				rt: reflect.TypeFor[t10](),
			},
		},
		{
			val:   t11{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 24,
				align: 8,
				names: []string{"F0"},
				fields: structFields{
					"F0": structField{
						dtype: ArrayDescr{
							kind:  'V',
							order: nil,
							flags: 0,
							esize: 24,
							align: 8,
							subarr: &subarrayDescr{
								dtype: ArrayDescr{
									kind:  'f',
									order: be,
									flags: 0,
									esize: 8,
									align: 8,
									rt:    float64Type,
								},
								shape: []int{3},
							},
							rt: reflect.ArrayOf(3, float64Type),
						},
						offset: 0,
					},
				},
				rt: reflect.TypeFor[t11](),
			},
		},
		{
			val:   t12{},
			align: true,
			want: ArrayDescr{
				kind:  'V',
				order: nil,
				flags: npyNeedsPyAPI | npyAlignedStruct,
				esize: 24,
				align: 8,
				names: []string{"F1", "F2", "F3"},
				fields: structFields{
					"F1": structField{
						dtype: ArrayDescr{
							kind:  'i',
							order: nil,
							flags: 0,
							esize: 1,
							align: 1,
							rt:    int8Type,
						},
						offset: 0,
					},
					"F2": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							flags: 0,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 8,
					},
					"F3": structField{
						dtype: ArrayDescr{
							kind:  'f',
							order: le,
							flags: 0,
							esize: 8,
							align: 8,
							rt:    float64Type,
						},
						offset: 16,
					},
				},
				rt: reflect.TypeFor[t12](),
			},
		},
		// expected errors.
		{
			val: struct {
				F0 t2 `npy:"F0, descr=('<u2', (3,2))"`
			}{},
			err: fmt.Errorf(`invalid struct-tag for "F0": specifying meta-descr for struct fields is not supported`),
		},
		{
			val: struct {
				F0 string `npy:"F0, descr='<f8'"`
			}{F0: "hello"},
			err: fmt.Errorf(`invalid specification for field "F0": no conversion from "string" to "float64"`),
		},
		{
			val: struct {
				F0 chan int
			}{F0: make(chan int)},
			err: fmt.Errorf(`no support for "chan": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 int
			}{F0: 12},
			err: fmt.Errorf(`no support for "int": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 uint
			}{F0: 12},
			err: fmt.Errorf(`no support for "uint": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 uintptr
			}{F0: 12},
			err: fmt.Errorf(`no support for "uintptr": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 any
			}{F0: nil},
			err: fmt.Errorf(`no support for "interface": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 map[uint8]uint16
			}{F0: make(map[uint8]uint16)},
			err: fmt.Errorf(`no support for "map": npy: no legal type conversion`),
		},
		{
			val: struct {
				F0 uint8  `npy:"f0"`
				F1 uint16 `npy:"f0"`
			}{},
			err: fmt.Errorf(`field "f0" occurs more than once`),
		},
		{
			val: struct {
				F0 uint8
				F1 uint16 `npy:"F0"`
			}{},
			err: fmt.Errorf(`field "F0" occurs more than once`),
		},
		{
			val: struct {
				F0 uint8 `npy:"f0, descr=''"`
			}{},
			err: fmt.Errorf(`data type "" not understood`),
		},
		//{
		//	val: struct {
		//		F0 uint8 `npy:"f0, descr=bob"`
		//	}{},
		//	err: fmt.Errorf(`data type "" not understood`),
		//},
		{
			val: struct {
				F0 uint8 `npy:"f0, descr='"`
			}{},
			err: fmt.Errorf(`could not parse struct-tag metadata "f0, descr='": could not parse dtype string "'": <stdin>:1:1: literal not terminated`),
		},
		{
			val: struct {
				ArrayDescr
			}{},
			err: fmt.Errorf(`structs with anonymous fields: not supported`),
		},
		{
			val: struct {
				ArrayDescr `npy:"Array"`
			}{},
			err: fmt.Errorf(`structs with anonymous fields: not supported`),
		},
	} {
		t.Run(fmt.Sprintf("%T", tc.val), func(t *testing.T) {
			descr, _, err := discover(tc.val, tc.align)
			switch {
			case err == nil && tc.err == nil:
				// ok.
			case err == nil && tc.err != nil:
				t.Fatalf("expected an error. got=%v, want=%v", err, tc.err)
			case err != nil && tc.err == nil:
				t.Fatalf("could not generate ArrayDescr from %T: %v", tc.val, err)
			case err != nil && tc.err != nil:
				if got, want := err.Error(), tc.err.Error(); got != want {
					t.Fatalf("invalid error:\ngot= %v\nwant=%v", got, want)
				}
				return
			}

			if got, want := *descr, tc.want; !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid descr:\n%s", cmp.Diff(got, want, diffOpts...))
			}
		})
	}
}

func TestParseMetaDescr(t *testing.T) {
	fromtag := func(v string) string {
		return reflect.StructTag(v).Get("npy")
	}

	for _, tc := range []struct {
		meta  string
		name  string
		descr string
	}{
		{"", "", ""},
		{fromtag(``), "", ""},
		{fromtag(`npy:"n"`), "n", ""},
		{fromtag(`npy:"n,descr="`), "n", ""},
		{fromtag(`npy:"n, descr="`), "n", ""},
		{fromtag(`npy:"n, descr='|O'"`), "n", "'|O'"},
		{fromtag(`npy:"n, descr=('<f4', (2,3))"`), "n", "('<f4', (2,3))"},
	} {
		t.Run(tc.meta, func(t *testing.T) {
			name, descr := parseMetaDescr(tc.meta)
			if got, want := name, tc.name; got != want {
				t.Errorf("invalid name: got=%q, want=%q", got, want)
			}
			if got, want := descr, tc.descr; got != want {
				t.Errorf("invalid descr: got=%q, want=%q", got, want)
			}
		})
	}
}

func TestFixupDescrLayout(t *testing.T) {
	pydescr := func(s string) ast.Node {
		v, err := dtp.Parse(s)
		if err != nil {
			panic(err)
		}
		return v
	}

	src, err := newDescrFrom(pydescr(`[('F1', '<u4'), ('F2', '|u1'), ('F3', '<f4'), ('F4', '|u1', (3,3)), ('F5', [('f1', '<u1', (7,)), ('f2', '<u1'), ('f3', '<u1')], (7,)), ('F6', '<f4')]`), true)
	if err != nil {
		t.Fatal(err)
	}

	type sub struct {
		F1 [7]uint8 `npy:"f1, descr=('<u1', (7,))"`
		F2 uint8    `npy:"f2"` // test byte order is taken from src.
		F3 uint8    `npy:"f3, descr='<u1'"`
	}

	type T struct {
		F1 uint32   `npy:"F1, descr='|u4'"` // test byte order is taken from src.
		F2 uint8    `npy:"F2, descr='|u1'"`
		F3 float32  `npy:"F3, descr='<f4'"`
		F4 [9]uint8 `npy:"F4"`
		F5 [7]sub   `npy:"F5"`
		F6 float32  `npy:"F6, descr='<f4'"`
	}
	dst, _, err := discover(T{}, false)
	if err != nil {
		t.Fatal(err)
	}

	fixupDescrLayout(dst, *src)

	want, _, err := discover(T{}, true)
	if err != nil {
		t.Fatal(err)
	}
	want.align = dst.align // these are expected to be wrong
	want.flags = dst.flags // because of the way we compute 'want'
	dtf1 := want.fields["F1"]
	dtf1.dtype.order = binary.LittleEndian
	want.fields["F1"] = dtf1
	dtf5 := want.fields["F5"]
	dtf5.dtype.flags = dst.fields["F5"].dtype.flags
	dtf5.dtype.subarr.dtype.flags = dst.fields["F5"].dtype.subarr.dtype.flags
	want.fields["F5"] = dtf5

	if got, want := dst, want; !reflect.DeepEqual(got, want) {
		t.Fatalf("diff:\n%s", cmp.Diff(got, want, diffOpts...))
	}
}

func TestStructAlign(t *testing.T) {
	pydescr := func(s string) ast.Node {
		v, err := dtp.Parse(s)
		if err != nil {
			panic(err)
		}
		return v
	}

	// nil the .rt field
	var fixup func(descr *ArrayDescr)
	fixup = func(descr *ArrayDescr) {
		if descr.subarr != nil {
			fixup(&descr.subarr.dtype)
		}
		for _, name := range descr.names {
			ft := descr.fields[name]
			fixup(&ft.dtype)
			descr.fields[name] = ft
		}
		descr.rt = nil
	}

	const align = true

	for _, tc := range []struct {
		ref string
		val any
	}{
		{
			ref: `[
					('F1', '<u4'),
					('F2', '|u1'),
					('F3', '<f4'),
					('F4', '|u1', 9),
					('F5', [
						('f1', '<u1', 7),
						('f2', '<u2')
						], 7),
					('F6', '<f4')
				  ]`,
			val: func() any {
				type sub struct {
					F1 [7]uint8 `npy:"f1, descr=('<u1', 7)"`
					F2 uint16   `npy:"f2, descr='<u2'"`
				}

				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 uint8    `npy:"F2, descr='|u1'"`
					F3 float32  `npy:"F3, descr='<f4'"`
					F4 [9]uint8 `npy:"F4"`
					F5 [7]sub   `npy:"F5"`
					F6 float32  `npy:"F6, descr='<f4'"`
				}
				return T{}
			}(),
		},
		{
			ref: `[
					('F1', '<u4'),
					('F2', '|u1'),
					('F3', '<f4'),
					('F4', '|u1', 9),
					('F5', [
						('f1', '<u1', (7,)),
						('f2', '<u2')
						], (7,)),
					('F6', '<f4')
				  ]`,
			val: func() any {
				type sub struct {
					F1 [7]uint8 `npy:"f1, descr=('<u1', (7,))"`
					F2 uint16   `npy:"f2, descr='<u2'"`
				}

				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 uint8    `npy:"F2, descr='|u1'"`
					F3 float32  `npy:"F3, descr='<f4'"`
					F4 [9]uint8 `npy:"F4"`
					F5 [7]sub   `npy:"F5"`
					F6 float32  `npy:"F6, descr='<f4'"`
				}
				return T{}
			}(),
		},
		{
			ref: `[('F1', '|i1'), ('F2', '<f8'), ('F3', '<f8')]`,
			val: func() any {
				type T struct {
					F1 int8
					F2 float64 `npy:"F2, descr='<f8'"`
					F3 float64 `npy:"F3, descr='<f8'"`
				}
				return T{}
			}(),
		},
	} {
		t.Run("", func(t *testing.T) {
			want, err := newDescrFrom(pydescr(tc.ref), align)
			if err != nil {
				t.Fatalf("could not create reference descr array: %v", err)
			}

			got, _, err := discover(tc.val, align)
			if err != nil {
				t.Fatalf("could not create go-type descr array: %v", err)
			}
			fixup(got)

			if !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid descr:\n%s", cmp.Diff(got, want, diffOpts...))
			}
		})
	}
}

func TestHeaderDescr(t *testing.T) {
	endian := "<"
	if nativeEndian.ByteOrder == binary.BigEndian {
		endian = ">"
	}

	for _, tc := range []struct {
		ref   string
		align bool
		want  string
	}{
		{
			ref:  `'bool'`,
			want: `'|b1'`,
		},
		{
			ref:  `'b1'`,
			want: `'|b1'`,
		},
		{
			ref:  `'<b1'`,
			want: `'|b1'`,
		},
		{
			ref:  `'>b1'`,
			want: `'|b1'`,
		},
		{
			ref:  `'|b1'`,
			want: `'|b1'`,
		},
		{
			ref:  `'=b1'`,
			want: `'|b1'`,
		},
		{
			ref:  `'int8'`,
			want: `'|i1'`,
		},
		{
			ref:  `'i1'`,
			want: `'|i1'`,
		},
		{
			ref:  `'<i1'`,
			want: `'|i1'`,
		},
		{
			ref:  `'>i1'`,
			want: `'|i1'`,
		},
		{
			ref:  `'|i1'`,
			want: `'|i1'`,
		},
		{
			ref:  `'=i1'`,
			want: `'|i1'`,
		},
		{
			ref:  `'int16'`,
			want: `'@i2'`,
		},
		{
			ref:  `'i2'`,
			want: `'@i2'`,
		},
		{
			ref:  `'<i2'`,
			want: `'<i2'`,
		},
		{
			ref:  `'>i2'`,
			want: `'>i2'`,
		},
		{
			ref:  `'|i2'`,
			want: `'@i2'`,
		},
		{
			ref:  `'=i2'`,
			want: `'@i2'`,
		},
		{
			ref:  `'int32'`,
			want: `'@i4'`,
		},
		{
			ref:  `'i4'`,
			want: `'@i4'`,
		},
		{
			ref:  `'<i4'`,
			want: `'<i4'`,
		},
		{
			ref:  `'>i4'`,
			want: `'>i4'`,
		},
		{
			ref:  `'|i4'`,
			want: `'@i4'`,
		},
		{
			ref:  `'=i4'`,
			want: `'@i4'`,
		},
		{
			ref:  `'int64'`,
			want: `'@i8'`,
		},
		{
			ref:  `'i8'`,
			want: `'@i8'`,
		},
		{
			ref:  `'<i8'`,
			want: `'<i8'`,
		},
		{
			ref:  `'>i8'`,
			want: `'>i8'`,
		},
		{
			ref:  `'|i8'`,
			want: `'@i8'`,
		},
		{
			ref:  `'=i8'`,
			want: `'@i8'`,
		},
		{
			ref:  `'uint8'`,
			want: `'|u1'`,
		},
		{
			ref:  `'u1'`,
			want: `'|u1'`,
		},
		{
			ref:  `'<u1'`,
			want: `'|u1'`,
		},
		{
			ref:  `'>u1'`,
			want: `'|u1'`,
		},
		{
			ref:  `'|u1'`,
			want: `'|u1'`,
		},
		{
			ref:  `'=u1'`,
			want: `'|u1'`,
		},
		{
			ref:  `'uint16'`,
			want: `'@u2'`,
		},
		{
			ref:  `'u2'`,
			want: `'@u2'`,
		},
		{
			ref:  `'<u2'`,
			want: `'<u2'`,
		},
		{
			ref:  `'>u2'`,
			want: `'>u2'`,
		},
		{
			ref:  `'|u2'`,
			want: `'@u2'`,
		},
		{
			ref:  `'=u2'`,
			want: `'@u2'`,
		},
		{
			ref:  `'uint32'`,
			want: `'@u4'`,
		},
		{
			ref:  `'u4'`,
			want: `'@u4'`,
		},
		{
			ref:  `'<u4'`,
			want: `'<u4'`,
		},
		{
			ref:  `'>u4'`,
			want: `'>u4'`,
		},
		{
			ref:  `'|u4'`,
			want: `'@u4'`,
		},
		{
			ref:  `'=u4'`,
			want: `'@u4'`,
		},
		{
			ref:  `'uint64'`,
			want: `'@u8'`,
		},
		{
			ref:  `'u8'`,
			want: `'@u8'`,
		},
		{
			ref:  `'<u8'`,
			want: `'<u8'`,
		},
		{
			ref:  `'>u8'`,
			want: `'>u8'`,
		},
		{
			ref:  `'|u8'`,
			want: `'@u8'`,
		},
		{
			ref:  `'=u8'`,
			want: `'@u8'`,
		},
		{
			ref:  `'float16'`,
			want: `'@f2'`,
		},
		{
			ref:  `'f2'`,
			want: `'@f2'`,
		},
		{
			ref:  `'|f2'`,
			want: `'@f2'`,
		},
		{
			ref:  `'=f2'`,
			want: `'@f2'`,
		},
		{
			ref:  `'<f2'`,
			want: `'<f2'`,
		},
		{
			ref:  `'>f2'`,
			want: `'>f2'`,
		},
		{
			ref:  `'float32'`,
			want: `'@f4'`,
		},
		{
			ref:  `'f4'`,
			want: `'@f4'`,
		},
		{
			ref:  `'|f4'`,
			want: `'@f4'`,
		},
		{
			ref:  `'=f4'`,
			want: `'@f4'`,
		},
		{
			ref:  `'<f4'`,
			want: `'<f4'`,
		},
		{
			ref:  `'>f4'`,
			want: `'>f4'`,
		},
		{
			ref:  `'float64'`,
			want: `'@f8'`,
		},
		{
			ref:  `'f8'`,
			want: `'@f8'`,
		},
		{
			ref:  `'|f8'`,
			want: `'@f8'`,
		},
		{
			ref:  `'=f8'`,
			want: `'@f8'`,
		},
		{
			ref:  `'<f8'`,
			want: `'<f8'`,
		},
		{
			ref:  `'>f8'`,
			want: `'>f8'`,
		},
		{
			ref:  `'complex64'`,
			want: `'@c8'`,
		},
		{
			ref:  `'c8'`,
			want: `'@c8'`,
		},
		{
			ref:  `'|c8'`,
			want: `'@c8'`,
		},
		{
			ref:  `'=c8'`,
			want: `'@c8'`,
		},
		{
			ref:  `'<c8'`,
			want: `'<c8'`,
		},
		{
			ref:  `'>c8'`,
			want: `'>c8'`,
		},
		{
			ref:  `'complex128'`,
			want: `'@c16'`,
		},
		{
			ref:  `'c16'`,
			want: `'@c16'`,
		},
		{
			ref:  `'|c16'`,
			want: `'@c16'`,
		},
		{
			ref:  `'=c16'`,
			want: `'@c16'`,
		},
		{
			ref:  `'<c16'`,
			want: `'<c16'`,
		},
		{
			ref:  `'>c16'`,
			want: `'>c16'`,
		},
		{
			ref:  `'object'`,
			want: `'|O'`,
		},
		{
			ref:  `'O'`,
			want: `'|O'`,
		},
		{
			ref:  `'|O'`,
			want: `'|O'`,
		},
		{
			ref:  `'=O'`,
			want: `'|O'`,
		},
		{
			ref:  `'<O'`,
			want: `'|O'`,
		},
		{
			ref:  `'>O'`,
			want: `'|O'`,
		},
		{
			ref:  `'O8'`,
			want: `'|O'`,
		},
		{
			ref:  `'|O8'`,
			want: `'|O'`,
		},
		{
			ref:  `'=O8'`,
			want: `'|O'`,
		},
		{
			ref:  `'<O8'`,
			want: `'|O'`,
		},
		{
			ref:  `'>O8'`,
			want: `'|O'`,
		},
		{
			ref:  `'S'`,
			want: `'|S0'`,
		},
		{
			ref:  `'bytes'`,
			want: `'|S0'`,
		},
		{
			ref:  `'=S'`,
			want: `'|S0'`,
		},
		{
			ref:  `'|S'`,
			want: `'|S0'`,
		},
		{
			ref:  `'<S'`,
			want: `'|S0'`,
		},
		{
			ref:  `'>S'`,
			want: `'|S0'`,
		},
		{
			ref:  `'S10'`,
			want: `'|S10'`,
		},
		{
			ref:  `'=S10'`,
			want: `'|S10'`,
		},
		{
			ref:  `'|S10'`,
			want: `'|S10'`,
		},
		{
			ref:  `'<S10'`,
			want: `'|S10'`,
		},
		{
			ref:  `'>S10'`,
			want: `'|S10'`,
		},
		{
			ref:  `'str'`,
			want: `'@U0'`,
		},
		{
			ref:  `'U'`,
			want: `'@U0'`,
		},
		{
			ref:  `'=U'`,
			want: `'@U0'`,
		},
		{
			ref:  `'|U'`,
			want: `'@U0'`,
		},
		{
			ref:  `'<U'`,
			want: `'<U0'`,
		},
		{
			ref:  `'>U'`,
			want: `'>U0'`,
		},
		{
			ref:  `'U10'`,
			want: `'@U10'`,
		},
		{
			ref:  `'=U10'`,
			want: `'@U10'`,
		},
		{
			ref:  `'|U10'`,
			want: `'@U10'`,
		},
		{
			ref:  `'<U10'`,
			want: `'<U10'`,
		},
		{
			ref:  `'>U10'`,
			want: `'>U10'`,
		},
		{
			ref:  `'void'`,
			want: `'|V0'`,
		},
		{
			ref:  `'V'`,
			want: `'|V0'`,
		},
		{
			ref:  `'|V'`,
			want: `'|V0'`,
		},
		{
			ref:  `'=V'`,
			want: `'|V0'`,
		},
		{
			ref:  `'>V'`,
			want: `'|V0'`,
		},
		{
			ref:  `'<V'`,
			want: `'|V0'`,
		},
		{
			ref:  `'V42'`,
			want: `'|V42'`,
		},
		{
			ref:  `'|V42'`,
			want: `'|V42'`,
		},
		{
			ref:  `'=V42'`,
			want: `'|V42'`,
		},
		{
			ref:  `'>V42'`,
			want: `'|V42'`,
		},
		{
			ref:  `'<V42'`,
			want: `'|V42'`,
		},
		{
			ref:  `'int'`,
			want: `'@i8'`, // FIXME(sbinet): is numpy using the largest int size of the machine ? or is it always i8 ?
		},
		{
			ref:  `'uint'`,
			want: `'@u8'`, // FIXME(sbinet): is numpy using the largest uint size of the machine ? or is it always u8 ?
		},
		{
			ref:  `('f4', 2)`,
			want: `'|V8'`,
		},
		{
			ref:  `('f4', (2,))`,
			want: `'|V8'`,
		},
		{
			ref:  `('|f4', (2,))`,
			want: `'|V8'`,
		},
		{
			ref:  `('=f4', (2,))`,
			want: `'|V8'`,
		},
		{
			ref:  `('<f4', (2,))`,
			want: `'|V8'`,
		},
		{
			ref:  `('>f4', (2,))`,
			want: `'|V8'`,
		},
		{
			ref:  `[('F1', 'f4')]`,
			want: `[('F1', '@f4')]`,
		},
		{
			ref:  `[('F1', '|f4')]`,
			want: `[('F1', '@f4')]`,
		},
		{
			ref:  `[('F1', '=f4')]`,
			want: `[('F1', '@f4')]`,
		},
		{
			ref:  `[('F1', '<f4')]`,
			want: `[('F1', '<f4')]`,
		},
		{
			ref:  `[('F1', '>f4')]`,
			want: `[('F1', '>f4')]`,
		},
		{
			ref:  `[('F1', '|u1'), ('F2', 'u2')]`,
			want: `[('F1', '|u1'), ('F2', '@u2')]`,
		},
		{
			ref:   `[('F1', '|u1'), ('F2', 'u2')]`,
			align: true,
			want:  `[('F1', '|u1'), ('', '|V1'), ('F2', '@u2')]`,
		},
		{
			ref:  `[('F1', '|S3'), ('F2', '|f8')]`,
			want: `[('F1', '|S3'), ('F2', '@f8')]`,
		},
		{
			ref:   `[('F1', '|S3'), ('F2', '|f8')]`,
			align: true,
			want:  `[('F1', '|S3'), ('', '|V5'), ('F2', '@f8')]`,
		},
		{
			ref:  `[(('title-1', 'F1'), '|S3'), ('F2', '|f8')]`,
			want: `[(('title-1', 'F1'), '|S3'), ('F2', '@f8')]`,
		},
		{
			ref:   `[(('title-1', 'F1'), '|S3'), ('F2', '|f8')]`,
			align: true,
			want:  `[(('title-1', 'F1'), '|S3'), ('', '|V5'), ('F2', '@f8')]`,
		},
		{
			ref: `[
					('F1', '<u4'),
					('F2', '|S1'),
					('F3', '<f4'),
					('F4', '|u1', 9),
					('F5', [
						('f1', '<u1', (7,)),
						('f2', '<u2')
						], (7,)),
					('F6', '<f4')
				 ]`,
			want: `[('F1', '<u4'), ('F2', '|S1'), ('F3', '<f4'), ('F4', '|u1', (9,)), ('F5', [('f1', '|u1', (7,)), ('f2', '<u2')], (7,)), ('F6', '<f4')]`,
		},
		{
			ref: `[
					('F1', '<u4'),
					('F2', '|S1'),
					('F3', '<f4'),
					('F4', '|u1', 9),
					('F5', [
						('f1', '<u1', (7,)),
						('f2', '<u2')
						], (7,)),
					('F6', '<f4')
				 ]`,
			align: true,
			want:  `[('F1', '<u4'), ('F2', '|S1'), ('', '|V3'), ('F3', '<f4'), ('F4', '|u1', (9,)), ('', '|V1'), ('F5', [('f1', '|u1', (7,)), ('', '|V1'), ('f2', '<u2')], (7,)), ('F6', '<f4')]`,
		},
		{
			ref:   `[('F1', 'i1'), ('F2', 'f8'), ('F3', 'f8')]`,
			align: true,
			want:  `[('F1', '|i1'), ('', '|V7'), ('F2', '@f8'), ('F3', '@f8')]`,
		},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			node, err := dtp.Parse(tc.ref)
			if err != nil {
				t.Fatal(err)
			}

			descr, err := newDescrFrom(node, tc.align)
			if err != nil {
				t.Fatal(err)
			}

			// replace '@' placeholder with this machine's real endianness.
			want := strings.ReplaceAll(tc.want, "@", endian)

			if got, want := toHeaderDescr(descr), want; got != want {
				t.Fatalf("invalid descr repr:\n%s", cmp.Diff(got, want))
			}
		})
	}
}
