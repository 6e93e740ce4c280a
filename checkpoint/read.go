package checkpoint

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/internal/sysmem"
	"nccheck/metrics"
	"nccheck/setting"
)

// Error is a problem with a checkpoint file: File is its path, Array the
// array concerned ("" for the file as a whole) and Reason what is wrong.
type Error struct {
	File, Array, Reason string
}

func (e *Error) Error() string {
	if e.Array == "" {
		return fmt.Sprintf("%s: %s", quoteName(e.File), e.Reason)
	}
	return fmt.Sprintf("%s: array %q: %s", quoteName(e.File), e.Array, e.Reason)
}

// quoteName is s, or s quoted with Go escapes when it has a character that
// must not reach a terminal raw (a control character, an escape sequence,
// an invalid byte).
func quoteName(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd {
			return strconv.Quote(s)
		}
	}
	return s
}

// Array names.
const (
	ArrayFeatures   = "features"
	ArrayLabels     = "labels"
	ArrayClassifier = "classifier"
	ArrayBias       = "bias"
	ArrayEpoch      = "epoch"
)

// MaxClasses bounds K, the number of rows of the classifier: the
// setting's limit (setting.MaxClasses), since every checkpoint is measured
// against a setting of its K classes.
const MaxClasses = setting.MaxClasses

// Checkpoint is an opened checkpoint file: everything but the features,
// which Samples reads from the file (held in memory or streamed: InMemory).
type Checkpoint struct {
	Path string
	// Epoch is the checkpoint's epoch, nil when the file has none.
	Epoch *int64
	// N samples, feature dimension D, K classes.
	N, D, K int
	// W is the classifier (K x d) and B the bias (nil when the file has
	// none), converted to float64 exactly.
	W *mat.Dense
	B []float64
	// Labels are the samples' classes, 0..K-1.
	Labels []int
	// Counts are the class counts n_k read from the labels (every class has
	// at least one sample).
	Counts []int
	// FeatureType is the dtype of the features: "float32" or "float64";
	// FeatureStatistics for a statistics checkpoint (no features: see
	// Statistics).
	FeatureType string

	fortran  bool             // features stored in Fortran (column-major) order
	wFortran bool             // classifier stored in Fortran order
	bias     bool             // the file has a bias
	inMemory bool             // a measurement holds the features in memory (InMemory)
	labelSz  int              // bytes per label in the file
	fSize    int              // bytes per feature in the file
	order    binary.ByteOrder // of the features
	wSize    int              // bytes per classifier entry
	bSize    int              // bytes per bias entry
	entry    string           // the features' member inside the archive
	size     int64            // file size in bytes
	split    bool             // a held-out split: a class may have no samples
	stats    *metrics.Stats
	// statsFortran is the bytes of the transposed copies of a statistics
	// checkpoint's arrays stored in Fortran order.
	statsFortran int64
}

// OpenSettings configure OpenWith.
type OpenSettings struct {
	// MaxMemory is the most memory, in bytes, the opening and the
	// measurement of the checkpoint (MemoryBytes) may need; the file is
	// refused before anything large is allocated when it needs more. 0
	// means the memory the process may still allocate (the smallest of the
	// system's available memory, the resource limits and the control
	// group's limit); negative means no limit.
	MaxMemory int64
	// MemorySource names MaxMemory in the refusal ("RLIMIT_AS"); it is
	// filled in when MaxMemory is 0.
	MemorySource string
	// Prec is the precision of the prediction the measurement will make
	// (Options.Prec), for the prediction of its memory; 0 means
	// closedform.DefaultPrec.
	Prec uint
	// Split opens a held-out split of a network (a test set): a class may
	// have no samples.
	Split bool
}

// Size returns the file's size in bytes.
func (c *Checkpoint) Size() int64 { return c.size }

// Open is OpenWith with the default settings.
func Open(path string) (*Checkpoint, error) { return OpenWith(path, OpenSettings{}) }

// OpenWith reads a checkpoint's header data: the classifier, the bias,
// the labels and the epoch, and the shape and dtype of the features, and
// checks them before it reads any data: the path is a regular file, the
// archive has one member per array, every header is readable, every
// member holds exactly the bytes its shape and dtype declare, the shapes
// agree, the dtypes are supported and the memory the measurement needs
// fits set.MaxMemory. Then it reads the arrays (each to its end, so that
// the zip CRC-32 is checked) and checks their values: labels in 0..K-1,
// every class present (but with set.Split), W and b finite. A file with
// feature_gram and no features is a statistics checkpoint (see
// FeatureStatistics), read and checked the same way. Errors are *Error.
func OpenWith(path string, set OpenSettings) (*Checkpoint, error) {
	a, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	c := &Checkpoint{Path: path, size: a.size, split: set.Split}
	if isStats(a) {
		return c.openStats(a, set)
	}
	if err := c.featuresHeader(a); err != nil {
		return nil, err
	}
	cm, err := c.classifierHeader(a)
	if err != nil {
		return nil, err
	}
	defer cm.Close()
	lm, err := c.labelsHeader(a)
	if err != nil {
		return nil, err
	}
	defer lm.Close()
	var bm, em *member
	if _, ok := a.members[ArrayBias]; ok {
		if bm, err = c.biasHeader(a); err != nil {
			return nil, err
		}
		defer bm.Close()
	}
	if _, ok := a.members[ArrayEpoch]; ok {
		if em, err = c.epochHeader(a); err != nil {
			return nil, err
		}
		defer em.Close()
	}
	if err := c.checkMemory(set); err != nil {
		return nil, err
	}
	if err := c.readClassifier(cm); err != nil {
		return nil, err
	}
	if bm != nil {
		if err := c.readBias(bm); err != nil {
			return nil, err
		}
	}
	if err := c.readLabels(lm); err != nil {
		return nil, err
	}
	if em != nil {
		if err := c.readEpoch(em); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkMemory decides whether a measurement holds the features in memory
// (when they take at most MaxInMemoryBytes and the measurement then fits
// set.MaxMemory; Fortran order always) and refuses a checkpoint whose
// measurement would need more than set.MaxMemory even with streamed
// features, before any array is read.
func (c *Checkpoint) checkMemory(set OpenSettings) error {
	prec := set.Prec
	if prec == 0 {
		prec = closedform.DefaultPrec
	}
	opt := Options{Prec: prec}
	// A held-out split is read in one pass: nothing to hold.
	c.inMemory = c.FeatureType != FeatureStatistics && (c.fortran || !c.split && int64(c.N)*int64(c.D)*int64(c.fSize) <= MaxInMemoryBytes)
	limit, source := set.MaxMemory, set.MemorySource
	if limit == 0 {
		l := sysmem.Current()
		if !l.Known() {
			return nil
		}
		limit, source = max(l.Bytes, 1), l.Source
	}
	if limit < 0 {
		return nil
	}
	need := c.memoryBytes(opt, c.inMemory)
	if need > limit && c.inMemory && !c.fortran {
		streamed := c.memoryBytes(opt, false)
		if streamed <= limit {
			c.inMemory = false
			return nil
		}
		need = min(need, streamed)
	}
	if need <= limit {
		return nil
	}
	what := "the limit of " + sysmem.FormatBytes(limit)
	if source != "" {
		what = sysmem.Limit{Bytes: limit, Source: source}.Describe()
	}
	if c.FeatureType == FeatureStatistics {
		return &Error{File: c.Path, Array: metrics.StatsFeatureGram, Reason: fmt.Sprintf(
			"measuring statistics of d = %d features with K = %d needs about %s (predicted), above %s",
			c.D, c.K, sysmem.FormatBytes(need), what)}
	}
	return &Error{File: c.Path, Array: ArrayFeatures, Reason: fmt.Sprintf(
		"measuring %d x %d features with K = %d needs about %s (predicted), above %s",
		c.N, c.D, c.K, sysmem.FormatBytes(need), what)}
}

var (
	_ metrics.Samples        = (*features)(nil)
	_ metrics.Float32Samples = features32{}
)
