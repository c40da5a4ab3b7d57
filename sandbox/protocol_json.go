package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// jsonProtocol is awsJson1_0 / awsJson1_1: the body is a JSON object,
// timestamps are epoch seconds, errors are {"__type", "message"}.
type jsonProtocol struct{ version string }

func (p jsonProtocol) decode(body []byte, _ *http.Request) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("request body is not JSON: %w", err)
	}
	m, ok := fromJSON(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("request body is not a JSON object")
	}
	return m, nil
}

// fromJSON turns json.Number into int64 when integral, else float64, the
// types the call accessors expect.
func fromJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = fromJSON(v[i])
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = fromJSON(v[k])
		}
		return v
	}
	return v
}

func (p jsonProtocol) writeOutput(w http.ResponseWriter, req *request, out map[string]any) {
	if out == nil {
		out = map[string]any{}
	}
	p.write(w, req, http.StatusOK, toJSON(out))
}

func (p jsonProtocol) writeError(w http.ResponseWriter, req *request, e *apiError) {
	typ := e.Code
	if queryCompatible(req.service) {
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault(e))
		typ = shapeForQueryCode(e.Code)
	}
	p.write(w, req, e.Status, map[string]any{"__type": typ, "message": e.Message})
}

func (p jsonProtocol) write(w http.ResponseWriter, req *request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalFailure","message":"cannot encode response"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-"+p.version)
	w.Header().Set("X-Amzn-RequestId", req.id)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// toJSON renders generic output values for encoding/json: timestamps become
// epoch seconds (with milliseconds), string maps objects, nils vanish.
func toJSON(v any) any {
	switch v := v.(type) {
	case time.Time:
		return json.Number(strconv.FormatFloat(float64(v.UnixMilli())/1000, 'f', -1, 64))
	case *time.Time:
		if v == nil {
			return nil
		}
		return toJSON(*v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if x = toJSON(x); x != nil {
				m[k] = x
			}
		}
		return m
	case stringMap:
		return map[string]string(v)
	case []any:
		l := make([]any, 0, len(v))
		for _, x := range v {
			l = append(l, toJSON(x))
		}
		return l
	case []map[string]any:
		l := make([]any, 0, len(v))
		for _, x := range v {
			l = append(l, toJSON(x))
		}
		return l
	}
	return v
}

// queryCompatible services (CloudWatch) speak JSON/CBOR but report errors
// with their Query codes in X-Amzn-Query-Error, which the SDKs prefer.
func queryCompatible(service string) bool { return service == "monitoring" }

func fault(e *apiError) string {
	if e.Sender {
		return "Sender"
	}
	return "Receiver"
}

// cloudWatchShapes maps CloudWatch's Query error codes to the error shape
// names its JSON/CBOR responses carry in __type, so the SDK picks the typed
// error (from the awsQueryError traits of the cloudwatch model).
var cloudWatchShapes = map[string]string{
	"InternalServiceError":        "InternalServiceFault",
	"InvalidFormat":               "InvalidFormatFault",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"InvalidParameterValue":       "InvalidParameterValueException",
	"LimitExceeded":               "LimitExceededFault",
	"MissingParameter":            "MissingRequiredParameterException",
	"ValidationError":             "ValidationException",
}

func shapeForQueryCode(code string) string {
	if s, ok := cloudWatchShapes[code]; ok {
		return s
	}
	return code
}
