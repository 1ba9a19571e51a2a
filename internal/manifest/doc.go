// Package manifest turns what users write (YAML or JSON files, request
// bodies) into typed API objects, strictly, and back.
//
// It owns: splitting a file into documents (SplitDocuments), routing a
// document to its kind (Decode, via the table in internal/resource), strict
// decoding (an unknown or duplicate field anywhere is an error that names
// its full path; a value of the wrong type names its path and the expected
// type), and encoding objects for output (Encode). It must not default or
// validate objects (api/v1 does that), nor talk to the API server.
//
// Why our own code around sigs.k8s.io/json and sigs.k8s.io/yaml:
//   - apimachinery's serializers stop at the first problem and print type
//     errors with Go struct names ("Go struct field Probe.spec...Handler...");
//     users need every unknown field at once, with the JSON path they wrote.
//   - YAML errors count lines from the start of each document; users need
//     the line in their file.
//   - field.Error cannot print "path: unknown field" (its ErrorBody prefixes
//     a type word, and an unknown type prints an internal-error text), so
//     decoding problems are *FieldError values with their own cause type,
//     FieldValueUnknown, which the API server returns as metav1.StatusCause
//     (StrictError.Causes, StrictError.Status).
package manifest
