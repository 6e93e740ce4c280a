// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package npyio_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"gonum.org/v1/gonum/mat"

	"codeberg.org/sbinet/npyio"
)

func ExampleWrite() {
	m := mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5})
	fmt.Printf("-- original data --\n")
	fmt.Printf("data = %v\n", mat.Formatted(m, mat.Prefix("       ")))
	buf := new(bytes.Buffer)

	err := npyio.Write(buf, m)
	if err != nil {
		log.Fatalf("error writing data: %v\n", err)
	}

	// modify original data
	m.Set(0, 0, 6)

	var data mat.Dense
	err = npyio.Read(buf, &data)
	if err != nil {
		log.Fatalf("error reading data: %v\n", err)
	}

	fmt.Printf("-- data read back --\n")
	fmt.Printf("data = %v\n", mat.Formatted(&data, mat.Prefix("       ")))

	fmt.Printf("-- modified original data --\n")
	fmt.Printf("data = %v\n", mat.Formatted(m, mat.Prefix("       ")))

	// Output:
	// -- original data --
	// data = ⎡0  1  2⎤
	//        ⎣3  4  5⎦
	// -- data read back --
	// data = ⎡0  1  2⎤
	//        ⎣3  4  5⎦
	// -- modified original data --
	// data = ⎡6  1  2⎤
	//        ⎣3  4  5⎦
}

func ExampleRead() {
	m := mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5})
	fmt.Printf("-- original data --\n")
	fmt.Printf("data = %v\n", mat.Formatted(m, mat.Prefix("       ")))
	buf := new(bytes.Buffer)

	err := npyio.Write(buf, m)
	if err != nil {
		log.Fatalf("error writing data: %v\n", err)
	}

	// modify original data
	m.Set(0, 0, 6)

	var data mat.Dense
	err = npyio.Read(buf, &data)
	if err != nil {
		log.Fatalf("error reading data: %v\n", err)
	}

	fmt.Printf("-- data read back --\n")
	fmt.Printf("data = %v\n", mat.Formatted(&data, mat.Prefix("       ")))

	fmt.Printf("-- modified original data --\n")
	fmt.Printf("data = %v\n", mat.Formatted(m, mat.Prefix("       ")))

	// Output:
	// -- original data --
	// data = ⎡0  1  2⎤
	//        ⎣3  4  5⎦
	// -- data read back --
	// data = ⎡0  1  2⎤
	//        ⎣3  4  5⎦
	// -- modified original data --
	// data = ⎡6  1  2⎤
	//        ⎣3  4  5⎦
}

func Example_partialRead() {
	out, err := os.Create("data.npy")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()

	f := []float64{0, 1, 2, 3, 4, 5}
	fmt.Printf("-- original data --\n")
	fmt.Printf("data = %v\n", f)
	err = npyio.Write(out, f)
	if err != nil {
		log.Fatalf("error writing data: %v\n", err)
	}
	err = out.Close()
	if err != nil {
		log.Fatal(err)
	}

	in, err := os.Open("data.npy")
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	r, err := npyio.NewReader(in)
	if err != nil {
		log.Fatal(err)
	}

	data := make([]float64, 3)
	err = r.Read(&data)
	if err != nil {
		log.Fatalf("error reading data: %v\n", err)
	}

	fmt.Printf("-- partial data read back --\n")
	fmt.Printf("data = %v\n", data)

	err = r.Read(&data)
	if err != nil {
		log.Fatalf("error reading data: %v\n", err)
	}

	fmt.Printf("-- rest of data read back --\n")
	fmt.Printf("data = %v\n", data)

	// Output:
	// -- original data --
	// data = [0 1 2 3 4 5]
	// -- partial data read back --
	// data = [0 1 2]
	// -- rest of data read back --
	// data = [3 4 5]
}

func Example_readIntoUserStruct() {
	raw, err := os.ReadFile("testdata/nested-subarr-struct-aligned-0_corder.npy")
	if err != nil {
		log.Fatal(err)
	}

	fmt.Printf("-- input data --\n")
	err = npyio.Dump(os.Stdout, bytes.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}

	type U struct {
		F1 uint16    `npy:"F11, descr='|u2'"` // take byte-order from the one specified on-disk
		F2 string    `npy:"F12, descr='|S1'"`
		F3 []float32 `npy:"F13, descr=('f4', (2,3))"`
	}

	type T struct {
		F1 uint32  `npy:"F01, descr='<u4'"` // explicit byte-order. /!\ better match the one on-disk /!\
		F2 [2]U    `npy:"F02"`
		F3 float32 `npy:"F03"` // no descr. take byte-order from the one specified on-disk
	}

	var usr []T

	err = npyio.Read(bytes.NewReader(raw), &usr)
	if err != nil {
		log.Fatalf("could not read npy data file into user data slice: %v", err)
	}

	fmt.Printf("\n-- read into user type --\n")
	fmt.Printf("data = %v\n", usr)

	// Output:
	// -- input data --
	// ================================================================================
	//file: input.npy
	//npy-header: Header{Major:1, Minor:0, Descr:{Type:[('F01', '<u4'), ('F02', [('F11', '<u2'), ('F12', '|S1'), ('F13', '<f4', (2, 3))], (2, 1)), ('F03', '<f4')], Fortran:false, Shape:[2]}}
	// data = [{1 [{2 a [1 2 3 4 5 6]} {3 b [2 3 4 5 6 7]}] 3.1} {2 [{3 z [2 4 6 8 10 12]} {4 y [3 4 5 6 7 8]}] 4.1}]
	//
	// -- read into user type --
	// data = [{1 [{2 a [1 2 3 4 5 6]} {3 b [2 3 4 5 6 7]}] 3.1} {2 [{3 z [2 4 6 8 10 12]} {4 y [3 4 5 6 7 8]}] 4.1}]
}

func Example_writeUserStruct() {

	type U struct {
		Name string `npy:"usr"`
	}

	type T struct {
		A uint8     `npy:"a"`
		B string    `npy:"name"`
		C []float64 `npy:"t"`
		D []U       `npy:"ds"`
	}

	vs := []T{
		{A: 1, B: "áà", C: []float64{1, 2, 3}, D: []U{{Name: "n1"}, {Name: "n2"}}},
		{A: 2, B: "éèï", C: []float64{4, 5, 6}, D: []U{{Name: "n2"}, {Name: "n3"}}},
	}

	fmt.Printf("-- original data --\n")
	fmt.Printf("%+v\n", vs)

	buf := new(bytes.Buffer)
	err := npyio.Write(buf, vs)
	if err != nil {
		log.Fatalf("error writing data: %v\n", err)
	}

	var data []T
	err = npyio.Read(buf, &data)
	if err != nil {
		log.Fatalf("error reading data: %v\n", err)
	}

	fmt.Printf("-- data read back --\n")
	fmt.Printf("%+v\n", data)

	// Output:
	// -- original data --
	// [{A:1 B:áà C:[1 2 3] D:[{Name:n1} {Name:n2}]} {A:2 B:éèï C:[4 5 6] D:[{Name:n2} {Name:n3}]}]
	// -- data read back --
	// [{A:1 B:áà C:[1 2 3] D:[{Name:n1} {Name:n2}]} {A:2 B:éèï C:[4 5 6] D:[{Name:n2} {Name:n3}]}]
}
