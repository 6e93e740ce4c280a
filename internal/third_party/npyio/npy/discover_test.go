// Copyright 2025 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package npy

import (
	"encoding/binary"
	"reflect"
	"testing"

	"codeberg.org/sbinet/npyio/npy/float16"
	"github.com/google/go-cmp/cmp"
)

func TestDiscover(t *testing.T) {
	type t1 struct {
		F1 int32
		F2 string
	}

	type sub2 struct {
		G1 string
	}

	type t2 struct {
		F1 int32
		F2 string
		F3 [2]sub2
		F4 string
	}

	type t3 struct {
		G1 int32  `npy:"F1"`
		G2 string `npy:"F2"`
		G3 []sub2 `npy:"F3"`
		G4 string `npy:"F4"`
	}

	type t4 struct {
		F1 int32
		F2 [][]int32
		F3 float64
	}

	type t5 struct {
		F1 int32
		F2 [][]string
		F3 float64
	}

	type t6 struct {
		F1 int8
		F2 float64
		F3 float64
	}

	type t7 struct {
		F1 int8
		F2 [][]string
		F3 float64
	}

	// testing 2 descr changes (F2+F3 → '|O')
	type t8 struct {
		F1 int8
		F2 [][]string
		F3 [][]string
	}

	type t9 struct {
		F1 int8
		F2 [2][3]float32
	}

	type t10 struct {
		F1 int8
		F2 [][]float32
	}

	type t11 struct {
		F1 int8
		F2 [6]float32 `npy:"F2, descr=('<f4', (2,3))"`
	}

	for _, tc := range []struct {
		skip  bool
		align bool
		val   any
		want  Array
	}{
		// scalars
		{
			val: true,
			want: Array{
				descr: &ArrayDescr{
					kind:  'b',
					order: nil,
					esize: 1,
					align: 1,
					rt:    boolType,
				},
				shape: nil,
			},
		},
		{
			val: uint8(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'u',
					order: nil,
					esize: 1,
					align: 1,
					rt:    uint8Type,
				},
				shape: nil,
			},
		},
		{
			val: uint16(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'u',
					order: nil,
					esize: 2,
					align: 2,
					rt:    uint16Type,
				},
				shape: nil,
			},
		},
		{
			val: uint32(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'u',
					order: nil,
					esize: 4,
					align: 4,
					rt:    uint32Type,
				},
				shape: nil,
			},
		},
		{
			val: uint64(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'u',
					order: nil,
					esize: 8,
					align: 8,
					rt:    uint64Type,
				},
				shape: nil,
			},
		},
		{
			val: int8(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 1,
					align: 1,
					rt:    int8Type,
				},
				shape: nil,
			},
		},
		{
			val: int16(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 2,
					align: 2,
					rt:    int16Type,
				},
				shape: nil,
			},
		},
		{
			val: int32(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: nil,
			},
		},
		{
			val: int64(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 8,
					align: 8,
					rt:    int64Type,
				},
				shape: nil,
			},
		},
		{
			val: float16.New(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'f',
					order: nil,
					esize: 2,
					align: 2,
					rt:    float16Type,
				},
				shape: nil,
			},
		},
		{
			val: float32(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'f',
					order: nil,
					esize: 4,
					align: 4,
					rt:    float32Type,
				},
				shape: nil,
			},
		},
		{
			val: float64(42),
			want: Array{
				descr: &ArrayDescr{
					kind:  'f',
					order: nil,
					esize: 8,
					align: 8,
					rt:    float64Type,
				},
				shape: nil,
			},
		},
		{
			val: complex(float32(42), 1),
			want: Array{
				descr: &ArrayDescr{
					kind:  'c',
					order: nil,
					esize: 8,
					align: 4,
					rt:    complex64Type,
				},
				shape: nil,
			},
		},
		{
			val: complex(float64(42), 1),
			want: Array{
				descr: &ArrayDescr{
					kind:  'c',
					order: nil,
					esize: 16,
					align: 8,
					rt:    complex128Type,
				},
				shape: nil,
			},
		},
		{
			val: "",
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 0,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		{
			val: "1234567890",
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 40,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		{
			val: "éèï",
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 12,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		{
			val: "hello",
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 20,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		// go-structs
		{
			val: t1{F1: 42, F2: "hello"},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: nil,
			},
		},
		{
			val: t2{F1: 1, F2: "hello", F3: [2]sub2{{G1: "bye"}, {G1: "hello"}}, F4: "world"},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 84,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2", "F3", "F4"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 40,
								align: 1,
								flags: npyNeedsPyAPI | npyNeedsInit,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'V',
										order: nil,
										esize: 20,
										align: 1,
										flags: npyNeedsPyAPI | npyNeedsInit,
										names: []string{"G1"},
										fields: structFields{
											"G1": structField{
												dtype: ArrayDescr{
													kind:  'U',
													order: nil,
													esize: 20,
													align: 4,
													flags: npyNeedsInit,
													rt:    stringType,
												},
												offset: 0,
											},
										},
										rt: reflect.TypeFor[sub2](),
									},
									shape: []int{2},
								},
								rt: reflect.TypeFor[[2]sub2](),
							},
							offset: 24,
						},
						"F4": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 64,
						},
					},
					rt: reflect.TypeFor[t2](),
				},
				shape: nil,
			},
		},
		{
			val: t3{G1: 1, G2: "hello", G3: []sub2{{G1: "bye"}, {G1: "hello"}}, G4: "world"},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 84,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2", "F3", "F4"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 40,
								align: 1,
								flags: npyNeedsPyAPI | npyNeedsInit,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'V',
										order: nil,
										esize: 20,
										align: 1,
										flags: npyNeedsPyAPI | npyNeedsInit,
										names: []string{"G1"},
										fields: structFields{
											"G1": structField{
												dtype: ArrayDescr{
													kind:  'U',
													order: nil,
													esize: 20,
													align: 4,
													flags: npyNeedsInit,
													rt:    stringType,
												},
												offset: 0,
											},
										},
										rt: reflect.TypeFor[sub2](),
									},
									shape: []int{2},
								},
								rt: reflect.TypeFor[[]sub2](),
							},
							offset: 24,
						},
						"F4": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 64,
						},
					},
					rt: reflect.TypeFor[t3](),
				},
				shape: nil,
			},
		},
		{
			val: t4{F1: 1, F2: [][]int32{{1}, {2, 3}, {4, 5, 6}}, F3: 2.2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 20,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'f',
								order: nil,
								esize: 8,
								align: 8,
								rt:    float64Type,
							},
							offset: 12,
						},
					},
					rt: reflect.TypeFor[t4](),
				},
				shape: nil,
			},
		},
		{
			val: t5{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: 2.2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 20,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'f',
								order: nil,
								esize: 8,
								align: 8,
								rt:    float64Type,
							},
							offset: 12,
						},
					},
					rt: reflect.TypeFor[t5](),
				},
				shape: nil,
			},
		},
		{
			align: true,
			val:   t6{F1: 1, F2: 2.2, F3: 3.2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 8,
					flags: npyNeedsPyAPI | npyAlignedStruct,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'f',
								order: nil,
								esize: 8,
								align: 8,
								rt:    float64Type,
							},
							offset: 8,
						},
						"F3": structField{
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
					rt: reflect.TypeFor[t6](),
				},
				shape: nil,
			},
		},
		{
			val: t7{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: 2.2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 17,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 1,
						},
						"F3": structField{
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
					rt: reflect.TypeFor[t7](),
				},
				shape: nil,
			},
		},
		{
			align: true,
			val:   t7{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: 2.2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 8,
					flags: npyFromFields | npyAlignedStruct,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 8,
						},
						"F3": structField{
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
					rt: reflect.TypeFor[t7](),
				},
				shape: nil,
			},
		},
		{
			val: t8{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 17,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 1,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 9,
						},
					},
					rt: reflect.TypeFor[t8](),
				},
				shape: nil,
			},
		},
		{
			val: t9{
				F1: 1,
				F2: [2][3]float32{
					{1, 2, 3},
					{4, 5, 6},
				},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 25,
					align: 1,
					flags: npyNeedsPyAPI,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 24,
								align: 4,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 4,
										align: 4,
										rt:    float32Type,
									},
									shape: []int{2, 3},
								},
								rt: reflect.TypeFor[[2][3]float32](),
							},
							offset: 1,
						},
					},
					rt: reflect.TypeFor[t9](),
				},
				shape: nil,
			},
		},
		{
			val: t10{
				F1: 1,
				F2: [][]float32{
					{1, 2, 3},
					{4, 5, 6},
				},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 25,
					align: 1,
					flags: npyNeedsPyAPI,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 24,
								align: 4,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'f',
										order: nil,
										esize: 4,
										align: 4,
										rt:    float32Type,
									},
									shape: []int{2, 3},
								},
								rt: reflect.TypeFor[[][]float32](),
							},
							offset: 1,
						},
					},
					rt: reflect.TypeFor[t10](),
				},
				shape: nil,
			},
		},
		{
			val: t11{
				F1: 1,
				F2: [6]float32{1, 2, 3, 4, 5, 6},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 25,
					align: 1,
					flags: npyNeedsPyAPI,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 24,
								align: 4,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'f',
										order: binary.LittleEndian,
										esize: 4,
										align: 4,
										rt:    float32Type,
									},
									shape: []int{2, 3},
								},
								rt: reflect.TypeFor[[6]float32](),
							},
							offset: 1,
						},
					},
					rt: reflect.TypeFor[t11](),
				},
				shape: nil,
			},
		},
		// go-arrays
		{
			val: [2]bool{true, false},
			want: Array{
				descr: &ArrayDescr{
					kind:  'b',
					order: nil,
					esize: 1,
					align: 1,
					rt:    boolType,
				},
				shape: []int{2},
			},
		},
		{
			val: [0]int32{},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: nil,
			},
		},
		{
			val: [1]int32{2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{1},
			},
		},
		{
			val: [2]int32{1, 2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{2},
			},
		},
		{
			val: [0]string{},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 0,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		{
			val: [5]string{"a", "bb", "cccc", "ï", "é"},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 16,
					align: 4,
					rt:    stringType,
				},
				shape: []int{5},
			},
		},
		{
			val: [1]t1{
				{F1: 2, F2: "hello"},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: []int{1},
			},
		},
		{
			val: [2]t1{
				{F1: 1, F2: "h"},
				{F1: 2, F2: "hello"},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: []int{2},
			},
		},
		{
			val: [2][3]int32{{1, 2, 3}, {4, 5, 6}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{2, 3},
			},
		},
		{
			val: [2][3][4]int32{{{1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}}, {{4, 4, 4, 4}, {5, 5, 5, 5}, {6, 6, 6, 6}}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{2, 3, 4},
			},
		},
		{
			val: [2][3]string{{"1", "22", "333"}, {"4444", "55555", "666666"}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 24,
					align: 4,
					rt:    stringType,
				},
				shape: []int{2, 3},
			},
		},
		{
			val: [2][3]t1{
				{{F1: 10, F2: "aa"}, {F1: 11, F2: "ab"}, {F1: 12, F2: "ac"}},
				{{F1: 20, F2: "ba"}, {F1: 21, F2: "bb"}, {F1: 22, F2: "bcXXX"}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: []int{2, 3},
			},
		},
		{
			val: [3]any{int32(1), "a", float32(3)},
			want: Array{
				descr: &ArrayDescr{
					kind:  'O',
					order: nil,
					esize: 8,
					align: 8,
					flags: npyObjectDtypeFlags,
					rt:    anyType,
				},
				shape: []int{3},
			},
		},
		// go-slices
		{
			val: []int32{},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: nil,
			},
		},
		{
			val: []int32{1, 2},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{2},
			},
		},
		{
			val: []string{},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 0,
					align: 4,
					rt:    stringType,
				},
				shape: nil,
			},
		},
		{
			val: []string{"a", "bb", "ccc", "dddd", "eeeee"},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 20,
					align: 4,
					rt:    stringType,
				},
				shape: []int{5},
			},
		},
		{
			val: []t1{
				{F1: 1, F2: "h"},
				{F1: 2, F2: "hello"},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: []int{2},
			},
		},
		{
			val: []t2{
				{F1: 1, F2: "h", F3: [2]sub2{{G1: "b"}, {G1: "h"}}, F4: "w"},
				{F1: 2, F2: "hello", F3: [2]sub2{{G1: "bye"}, {G1: "hello"}}, F4: "world"},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 84,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2", "F3", "F4"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 40,
								align: 1,
								flags: npyNeedsPyAPI | npyNeedsInit,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'V',
										order: nil,
										esize: 20,
										align: 1,
										flags: npyNeedsPyAPI | npyNeedsInit,
										names: []string{"G1"},
										fields: structFields{
											"G1": structField{
												dtype: ArrayDescr{
													kind:  'U',
													order: nil,
													esize: 20,
													align: 4,
													flags: npyNeedsInit,
													rt:    stringType,
												},
												offset: 0,
											},
										},
										rt: reflect.TypeFor[sub2](),
									},
									shape: []int{2},
								},
								rt: reflect.TypeFor[[2]sub2](),
							},
							offset: 24,
						},
						"F4": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 64,
						},
					},
					rt: reflect.TypeFor[t2](),
				},
				shape: []int{2},
			},
		},
		{
			val: [][]t2{
				{{F1: 1, F2: "h", F3: [2]sub2{{G1: "b"}, {G1: "h"}}, F4: "w"}, {}, {}},
				{{}, {}, {F1: 2, F2: "hello", F3: [2]sub2{{G1: "bye"}, {G1: "hello"}}, F4: "world"}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 84,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2", "F3", "F4"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'V',
								order: nil,
								esize: 40,
								align: 1,
								flags: npyNeedsPyAPI | npyNeedsInit,
								subarr: &subarrayDescr{
									dtype: ArrayDescr{
										kind:  'V',
										order: nil,
										esize: 20,
										align: 1,
										flags: npyNeedsPyAPI | npyNeedsInit,
										names: []string{"G1"},
										fields: structFields{
											"G1": structField{
												dtype: ArrayDescr{
													kind:  'U',
													order: nil,
													esize: 20,
													align: 4,
													flags: npyNeedsInit,
													rt:    stringType,
												},
												offset: 0,
											},
										},
										rt: reflect.TypeFor[sub2](),
									},
									shape: []int{2},
								},
								rt: reflect.TypeFor[[2]sub2](),
							},
							offset: 24,
						},
						"F4": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 64,
						},
					},
					rt: reflect.TypeFor[t2](),
				},
				shape: []int{2, 3},
			},
		},
		{
			val: [][][]t5{
				{{{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: 2.2}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 20,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'f',
								order: nil,
								esize: 8,
								align: 8,
								rt:    float64Type,
							},
							offset: 12,
						},
					},
					rt: reflect.TypeFor[t5](),
				},
				shape: []int{1, 1, 1},
			},
		},
		{
			val: [][][]t5{
				{{{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: 2.2}}},
				{{{F1: 1, F2: [][]string{{"a"}, {"b", "cde"}, {""}}, F3: 2.2}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 20,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 4,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'f',
								order: nil,
								esize: 8,
								align: 8,
								rt:    float64Type,
							},
							offset: 12,
						},
					},
					rt: reflect.TypeFor[t5](),
				},
				shape: []int{2, 1, 1},
			},
		},
		{
			// testing an even number of rows.
			val: []t8{
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 17,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 1,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 9,
						},
					},
					rt: reflect.TypeFor[t8](),
				},
				shape: []int{2},
			},
		},
		{
			// testing an odd number of rows.
			val: []t8{
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 17,
					align: 1,
					flags: npyFromFields,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 1,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 9,
						},
					},
					rt: reflect.TypeFor[t8](),
				},
				shape: []int{3},
			},
		},
		{
			// testing an even number of rows + align
			align: true,
			val: []t8{
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 8,
					flags: npyFromFields | npyAlignedStruct,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 8,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 16,
						},
					},
					rt: reflect.TypeFor[t8](),
				},
				shape: []int{2},
			},
		},
		{
			// testing an odd number of rows + align
			align: true,
			val: []t8{
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
				{F1: 1, F2: [][]string{{"a"}, {"b", "cd"}, {"e"}}, F3: [][]string{{"a"}, {"b", "cd"}, {"e"}}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 8,
					flags: npyFromFields | npyAlignedStruct,
					names: []string{"F1", "F2", "F3"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 1,
								align: 1,
								rt:    int8Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 8,
						},
						"F3": structField{
							dtype: ArrayDescr{
								kind:  'O',
								order: nil,
								esize: 8,
								align: 8,
								flags: npyObjectDtypeFlags,
								rt:    anyType,
							},
							offset: 16,
						},
					},
					rt: reflect.TypeFor[t8](),
				},
				shape: []int{3},
			},
		},
		{
			val: [][]int32{{1, 2}, {3, 4}, {5, 6}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{3, 2},
			},
		},
		{
			val: [][][]int32{{{1, 2}}, {{3, 4}}, {{5, 6}}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{3, 1, 2},
			},
		},
		{
			val: [][]complex128{
				{1, 2},
				{3, 4, 5},
				{6, 7, 8, 9},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'O',
					order: nil,
					esize: 8,
					align: 8,
					flags: npyObjectDtypeFlags,
					rt:    anyType,
				},
				shape: []int{3},
			},
		},
		{
			val: [][]string{{"a"}, {"bb"}, {"ccc"}, {"dddd"}, {"eeeee"}, {"ï"}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 20,
					align: 4,
					rt:    stringType,
				},
				shape: []int{6, 1},
			},
		},
		{
			val: [][][]string{
				{{"a", "bb"}},
				{{"ccc", "dddd"}},
				{{"eeeee", "ï"}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'U',
					order: nil,
					flags: npyNeedsInit,
					esize: 20,
					align: 4,
					rt:    stringType,
				},
				shape: []int{3, 1, 2},
			},
		},
		{
			val: [][]t1{
				{{F1: 10, F2: "aa"}, {F1: 11, F2: "ab"}, {F1: 12, F2: "ac"}},
				{{F1: 20, F2: "hello"}, {F1: 21, F2: "bb"}, {F1: 22, F2: "bc"}},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'V',
					order: nil,
					esize: 24,
					align: 1,
					flags: npyNeedsPyAPI | npyNeedsInit,
					names: []string{"F1", "F2"},
					fields: structFields{
						"F1": structField{
							dtype: ArrayDescr{
								kind:  'i',
								order: nil,
								esize: 4,
								align: 4,
								rt:    int32Type,
							},
							offset: 0,
						},
						"F2": structField{
							dtype: ArrayDescr{
								kind:  'U',
								order: nil,
								esize: 20,
								align: 4,
								flags: npyNeedsInit,
								rt:    stringType,
							},
							offset: 4,
						},
					},
					rt: reflect.TypeFor[t1](),
				},
				shape: []int{2, 3},
			},
		},
		{
			val: [][][][]string{
				{{{"a"}, {"bb"}}},
				{{{"c"}, {"dd"}}},
				{{{"e"}, {"ff"}}},
				{{{"a"}, {"b"}, {"c"}}}, // ← ragged !
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'O',
					order: nil,
					esize: 8,
					align: 8,
					flags: npyObjectDtypeFlags,
					rt:    anyType,
				},
				shape: []int{4, 1},
			},
		},
		{
			val: []any{int32(1), "a", float32(3)},
			want: Array{
				descr: &ArrayDescr{
					kind:  'O',
					order: nil,
					esize: 8,
					align: 8,
					flags: npyObjectDtypeFlags,
					rt:    anyType,
				},
				shape: []int{3},
			},
		},
		{
			val: [][][]any{{{int32(1)}}, {{"a"}}, {{float32(3)}}},
			want: Array{
				descr: &ArrayDescr{
					kind:  'O',
					order: nil,
					esize: 8,
					align: 8,
					flags: npyObjectDtypeFlags,
					rt:    anyType,
				},
				shape: []int{3, 1, 1},
			},
		},
		{
			val: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{3},
				data:  []int32{1, 2, 3},
			},
			want: Array{
				descr: &ArrayDescr{
					kind:  'i',
					order: nil,
					esize: 4,
					align: 4,
					rt:    int32Type,
				},
				shape: []int{3},
			},
		},
	} {
		t.Run("", func(t *testing.T) {
			if tc.skip {
				t.Skipf("skipping %s", t.Name())
			}
			defer func() {
				err := recover()
				if err != nil {
					t.Fatalf("could not run discover for %T: %v", tc.val, err)
				}
			}()

			descr, shape, err := discover(tc.val, tc.align)
			if err != nil {
				t.Fatalf("could not run discover for %T: %v", tc.val, err)
			}

			if got, want := descr, tc.want.descr; !reflect.DeepEqual(got, want) {
				t.Logf("got:  %s", toHeaderDescr(got))
				t.Logf("want: %s", toHeaderDescr(want))
				t.Fatalf("invalid descr for %T:\n%s", tc.val, cmp.Diff(got, want, diffOpts...))
			}

			if got, want := shape, tc.want.shape; !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid shape for %T: got=%v, want=%v", tc.val, got, want)
			}
		})
	}
}
