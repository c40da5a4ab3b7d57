package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborProtocol is Smithy RPC v2 CBOR, what the Go SDK's CloudWatch client
// speaks: POST /service/S/operation/Op, Smithy-Protocol: rpc-v2-cbor,
// timestamps as tag 1 epoch seconds, errors as a map with "__type".
type cborProtocol struct{}

func (cborProtocol) decode(body []byte, _ *http.Request) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("request body is not CBOR: %w", err)
	}
	m, ok := fromCBOR(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("request body is not a CBOR map")
	}
	return m, nil
}

// fromCBOR turns decoded CBOR values into the generic input types.
func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Uint:
		if v <= math.MaxInt64 {
			return int64(v)
		}
		return uint64(v)
	case cbor.NegInt:
		// NegInt(n) is -n; NegInt(0) stands for -2^64, which no int64 holds.
		if v == 0 || v > 1<<63 {
			return -math.Pow(2, 64)
		}
		return -int64(v-1) - 1
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.String:
		return string(v)
	case cbor.Slice:
		return string(v)
	case cbor.Bool:
		return bool(v)
	case cbor.List:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = fromCBOR(x)
		}
		return l
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if x := fromCBOR(x); x != nil {
				m[k] = x
			}
		}
		return m
	case *cbor.Tag:
		return fromCBORTag(v.ID, v.Value)
	case cbor.Tag:
		return fromCBORTag(v.ID, v.Value)
	}
	return nil // Nil, Undefined
}

func fromCBORTag(id uint64, v cbor.Value) any {
	x := fromCBOR(v)
	if id != 1 {
		return x
	}
	switch secs := x.(type) {
	case int64:
		return time.Unix(secs, 0).UTC()
	case float64:
		whole, frac := math.Modf(secs)
		return time.Unix(int64(whole), int64(frac*1e9)).UTC().Round(time.Millisecond)
	}
	return x
}

func (cborProtocol) writeOutput(w http.ResponseWriter, req *request, out map[string]any) {
	if out == nil {
		out = map[string]any{}
	}
	writeCBOR(w, req, http.StatusOK, toCBOR(out))
}

func (cborProtocol) writeError(w http.ResponseWriter, req *request, e *apiError) {
	typ := e.Code
	if queryCompatible(req.service) {
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault(e))
		typ = shapeForQueryCode(e.Code)
	}
	writeCBOR(w, req, e.Status, cbor.Map{"__type": cbor.String(typ), "message": cbor.String(e.Message)})
}

func writeCBOR(w http.ResponseWriter, req *request, status int, v cbor.Value) {
	b := cbor.Encode(v)
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", req.id)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// toCBOR encodes generic output values; nil values are left out of maps.
func toCBOR(v any) cbor.Value {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return cbor.String(v)
	case bool:
		return cbor.Bool(v)
	case int:
		return cborInt(int64(v))
	case int32:
		return cborInt(int64(v))
	case int64:
		return cborInt(v)
	case uint64:
		return cbor.Uint(v)
	case float64:
		return cbor.Float64(v)
	case float32:
		return cbor.Float32(v)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(v.UnixMilli()) / 1000)}
	case *time.Time:
		if v == nil {
			return nil
		}
		return toCBOR(*v)
	case stringMap:
		m := make(cbor.Map, len(v))
		for k, x := range v {
			m[k] = cbor.String(x)
		}
		return m
	case map[string]any:
		m := make(cbor.Map, len(v))
		for k, x := range v {
			if c := toCBOR(x); c != nil {
				m[k] = c
			}
		}
		return m
	case []any:
		l := make(cbor.List, 0, len(v))
		for _, x := range v {
			l = append(l, toCBOR(x))
		}
		return l
	case []string:
		l := make(cbor.List, 0, len(v))
		for _, x := range v {
			l = append(l, cbor.String(x))
		}
		return l
	case []map[string]any:
		l := make(cbor.List, 0, len(v))
		for _, x := range v {
			l = append(l, toCBOR(x))
		}
		return l
	}
	return cbor.String(fmt.Sprint(v))
}

func cborInt(n int64) cbor.Value {
	if n < 0 {
		return cbor.NegInt(uint64(-(n + 1)) + 1)
	}
	return cbor.Uint(uint64(n))
}
