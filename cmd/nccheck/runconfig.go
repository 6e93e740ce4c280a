package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"

	"nccheck/internal/regfile"
	"nccheck/setting"
)

// runConfig is what measure reads from the config.json a training run
// writes beside its checkpoints (experiments/fashion-mnist/train.py): the
// lambdas of theory.md section 1 the run trained with (for its
// --loss-convention authors, the converted values).
type runConfig struct {
	path             string
	lambdaW, lambdaH setting.Decimal
}

// maxConfigBytes bounds the config.json read (train.py's, with its log, is
// a few tens of KB).
const maxConfigBytes = 4 << 20

// readRunConfig reads dir/config.json: nil without one; an error naming
// the file for a file that is not a regular file, too large, not JSON, or
// without lambda_w and lambda_h. The lambdas are decimal strings (as
// train.py writes them) or JSON numbers, both read exactly from their text.
func readRunConfig(dir string) (*runConfig, error) {
	path := filepath.Join(dir, "config.json")
	bad := func(reason string) error {
		return &setting.InputError{Field: "config.json", Value: strconv.Quote(path), Reason: reason}
	}
	f, _, err := regfile.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, bad(checkReason(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, bad("cannot read: " + oneLine(err.Error()))
	}
	if len(data) > maxConfigBytes {
		return nil, bad(fmt.Sprintf("is larger than %d MiB", maxConfigBytes>>20))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("is not a JSON object: " + oneLine(err.Error()))
	}
	cfg := &runConfig{path: path}
	for _, x := range []struct {
		key, field string
		dst        *setting.Decimal
	}{{"lambda_w", setting.FieldLambdaW, &cfg.lambdaW}, {"lambda_h", setting.FieldLambdaH, &cfg.lambdaH}} {
		var text string
		switch v := raw[x.key].(type) {
		case string:
			text = v
		case json.Number:
			text = v.String()
		case nil:
			return nil, bad(fmt.Sprintf("has no %s (give --lambda-w and --lambda-h, or --fit)", x.key))
		default:
			return nil, bad(fmt.Sprintf("%s is %v, not a decimal", x.key, v))
		}
		d, err := setting.ParseLambda(x.field, text)
		if err != nil {
			return nil, bad(x.key + ": " + oneLine(err.Error()))
		}
		*x.dst = d
	}
	return cfg, nil
}
