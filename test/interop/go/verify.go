// Command verify checks Custody Ledger artefacts with golang.org/x/mod/sumdb/note
// and golang.org/x/mod/sumdb/tlog, the Go reference implementations that
// formats.md names, so that none of our own verification code is involved.
//
// It reads {"cases": [...]} as JSON on stdin and writes {"results": [...]} on
// stdout, one result per case in the same order. A case that does not verify is
// a result with "ok": false and the library's error; only unusable input (bad
// JSON on stdin) makes the program itself fail, with exit status 2.
//
// Case kinds:
//
//	note                  {vkey, note}                               -> text
//	checkpoint-inclusion  {vkey, note, leafHash, index, proof}       -> origin, size, root
//	tlog-proof            {vkey, bundle, leafHash}                   -> origin, size, root, index
//	consistency           {oldSize, oldRoot, newSize, newRoot, proof}
//	record-hash           {data}                                     -> hash
//	tiles                 {baseUrl, vkey, index, leafHash[, note]}   -> origin, size, root, tiles
//	disclosures           {entry, disclosures}                       -> actor, data, withheld
//
// Hashes and data are standard base64 with padding.
//
// The disclosures case checks the disclosures of a log entry's withheld fields
// from formats.md §1.1 and the SD-JWT rules it adopts (RFC 9901), with the
// standard library alone: each disclosure is base64url without padding of the
// UTF-8 JSON array [salt, name, value] (salt at least 128 bits of base64url, no
// floating-point value), its digest is the base64url SHA-256 of the ASCII
// disclosure string, and that digest must be listed in the `_sd` of the entry's
// actor or data, once. It answers the fields each part shows with the
// disclosed ones in place, and how many digests no disclosure matched.
//
// The tiles case is a partner checking an entry with nothing but the log's
// public C2SP tlog-tiles endpoints under baseUrl (the log's prefix): it fetches
// <baseUrl>/checkpoint and opens it with the vkey, then builds the proof of the
// leaf at index with tlog.ProveRecord over tlog.TileHashReader, which fetches
// the tiles it needs from <baseUrl>/tile/..., and checks it with
// tlog.CheckRecord against the opened checkpoint's root. That last check is
// what makes tiles trustworthy: TileHashReader is meant to authenticate them
// too, but before x/mod v0.40.0 (CVE-2026-56865, Debian ships 0.7.0) it skips
// some, so its hashes are never used unchecked.
// Given note, an earlier checkpoint of the same log (opened with the same vkey),
// it also proves the two trees consistent from the same tiles (tlog.ProveTree,
// tlog.CheckTree). tiles counts the tile requests made.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type testCase struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Vkey     string   `json:"vkey"`
	Note     string   `json:"note"`
	LeafHash string   `json:"leafHash"`
	Index    int64    `json:"index"`
	Proof    []string `json:"proof"`
	OldSize  int64    `json:"oldSize"`
	OldRoot  string   `json:"oldRoot"`
	NewSize  int64    `json:"newSize"`
	NewRoot  string   `json:"newRoot"`
	Data     string   `json:"data"`
	Bundle   string   `json:"bundle"`
	BaseURL  string   `json:"baseUrl"`

	Entry       json.RawMessage `json:"entry"`
	Disclosures []string        `json:"disclosures"`
}

type result struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Text   string `json:"text,omitempty"`
	Origin string `json:"origin,omitempty"`
	Size   *int64 `json:"size,omitempty"`
	Root   string `json:"root,omitempty"`
	Hash   string `json:"hash,omitempty"`
	Index  *int64 `json:"index,omitempty"`
	Tiles  *int   `json:"tiles,omitempty"`

	// Pointers, so that an empty object is still written and other kinds write none.
	Actor    *map[string]interface{} `json:"actor,omitempty"`
	Data     *map[string]interface{} `json:"data,omitempty"`
	Withheld map[string]int          `json:"withheld,omitempty"`
}

func main() {
	var input struct {
		Cases []testCase `json:"cases"`
	}
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&input); err != nil {
		fmt.Fprintln(os.Stderr, "verify: reading cases:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(input.Cases))
	for _, c := range input.Cases {
		r := result{ID: c.ID, Kind: c.Kind}
		if err := run(c, &r); err != nil {
			r.OK = false
			r.Error = err.Error()
		} else {
			r.OK = true
		}
		results = append(results, r)
	}
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(map[string]interface{}{"results": results}); err != nil {
		fmt.Fprintln(os.Stderr, "verify: writing results:", err)
		os.Exit(2)
	}
}

func run(c testCase, r *result) error {
	switch c.Kind {
	case "note":
		opened, err := openNote(c.Vkey, c.Note)
		if err != nil {
			return err
		}
		r.Text = opened.Text
		return nil
	case "checkpoint-inclusion":
		return checkInclusion(c, r)
	case "tlog-proof":
		index, proof, signed, err := parseTlogProof(c.Bundle)
		if err != nil {
			return err
		}
		r.Index = &index
		c.Index, c.Proof, c.Note = index, proof, signed
		return checkInclusion(c, r)
	case "consistency":
		return checkConsistency(c)
	case "tiles":
		return checkWithTiles(c, r)
	case "disclosures":
		return checkDisclosures(c, r)
	case "record-hash":
		data, err := base64.StdEncoding.Strict().DecodeString(c.Data)
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		r.Hash = base64.StdEncoding.EncodeToString(recordHashBytes(tlog.RecordHash(data)))
		return nil
	default:
		return fmt.Errorf("unknown case kind %q", c.Kind)
	}
}

func recordHashBytes(h tlog.Hash) []byte {
	return h[:]
}

// openNote verifies a signed note with exactly one trusted key, given as a vkey.
func openNote(vkey, text string) (*note.Note, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("vkey: %w", err)
	}
	return note.Open([]byte(text), note.VerifierList(verifier))
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads the first three lines of a C2SP tlog-checkpoint body:
// origin, decimal tree size, base64 root hash. Extension lines may follow.
func parseCheckpoint(text string) (checkpoint, error) {
	var cp checkpoint
	if !strings.HasSuffix(text, "\n") {
		return cp, errors.New("checkpoint: text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return cp, fmt.Errorf("checkpoint: %d lines, want at least 3", len(lines))
	}
	if lines[0] == "" {
		return cp, errors.New("checkpoint: empty origin")
	}
	cp.origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return cp, fmt.Errorf("checkpoint: bad tree size %q", lines[1])
	}
	cp.size = size
	root, err := decodeHash(lines[2])
	if err != nil {
		return cp, fmt.Errorf("checkpoint: root: %w", err)
	}
	cp.root = root
	return cp, nil
}

func decodeHash(text string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil {
		return h, err
	}
	if len(raw) != tlog.HashSize {
		return h, fmt.Errorf("hash is %d bytes, want %d", len(raw), tlog.HashSize)
	}
	copy(h[:], raw)
	return h, nil
}

func decodeHashes(texts []string) ([]tlog.Hash, error) {
	hashes := make([]tlog.Hash, 0, len(texts))
	for i, text := range texts {
		h, err := decodeHash(text)
		if err != nil {
			return nil, fmt.Errorf("proof[%d]: %w", i, err)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

func checkInclusion(c testCase, r *result) error {
	verifier, err := note.NewVerifier(c.Vkey)
	if err != nil {
		return fmt.Errorf("vkey: %w", err)
	}
	opened, err := note.Open([]byte(c.Note), note.VerifierList(verifier))
	if err != nil {
		return err
	}
	cp, err := parseCheckpoint(opened.Text)
	if err != nil {
		return err
	}
	// The log key's name is the log's origin: a key of one log vouches for no other.
	if cp.origin != verifier.Name() {
		return fmt.Errorf("checkpoint origin %q is not the key name %q", cp.origin, verifier.Name())
	}
	r.Origin = cp.origin
	size := cp.size
	r.Size = &size
	r.Root = base64.StdEncoding.EncodeToString(cp.root[:])
	leaf, err := decodeHash(c.LeafHash)
	if err != nil {
		return fmt.Errorf("leaf hash: %w", err)
	}
	proof, err := decodeHashes(c.Proof)
	if err != nil {
		return err
	}
	return tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, c.Index, leaf)
}

// parseTlogProof splits a C2SP tlog-proof bundle (c2sp.org/tlog-proof@v1):
// header line, optional "extra" line, "index N", base64 proof hashes (one a
// line), an empty line, then the signed checkpoint note verbatim.
func parseTlogProof(bundle string) (int64, []string, string, error) {
	const header = "c2sp.org/tlog-proof@v1"
	rest := bundle
	line, rest, found := strings.Cut(rest, "\n")
	if !found || line != header {
		return 0, nil, "", errors.New("tlog-proof: missing header line")
	}
	line, rest, found = strings.Cut(rest, "\n")
	if found && strings.HasPrefix(line, "extra ") {
		line, rest, found = strings.Cut(rest, "\n")
	}
	indexText := strings.TrimPrefix(line, "index ")
	index, err := strconv.ParseInt(indexText, 10, 64)
	if !found || !strings.HasPrefix(line, "index ") || err != nil || index < 0 ||
		strconv.FormatInt(index, 10) != indexText {
		return 0, nil, "", fmt.Errorf("tlog-proof: bad index line %q", line)
	}
	var proof []string
	for {
		line, rest, found = strings.Cut(rest, "\n")
		if !found {
			return 0, nil, "", errors.New("tlog-proof: no empty line before the checkpoint")
		}
		if line == "" {
			break
		}
		proof = append(proof, line)
	}
	if rest == "" {
		return 0, nil, "", errors.New("tlog-proof: no checkpoint")
	}
	return index, proof, rest, nil
}

func checkConsistency(c testCase) error {
	oldRoot, err := decodeHash(c.OldRoot)
	if err != nil {
		return fmt.Errorf("old root: %w", err)
	}
	newRoot, err := decodeHash(c.NewRoot)
	if err != nil {
		return fmt.Errorf("new root: %w", err)
	}
	proof, err := decodeHashes(c.Proof)
	if err != nil {
		return err
	}
	return tlog.CheckTree(tlog.TreeProof(proof), c.NewSize, newRoot, c.OldSize, oldRoot)
}

// tileHeight is the height of C2SP tlog-tiles: 256 hashes a tile.
const tileHeight = 8

// c2spTilePath is a tile's path under the log prefix per c2sp.org/tlog-tiles:
// tile/<L>/<N>[.p/<W>], N in 3-digit elements with all but the last prefixed
// with "x". (tlog.Tile.Path is the Go checksum database's layout, which also
// names the height: tile/8/<L>/...; C2SP fixes the height and leaves it out.)
func c2spTilePath(t tlog.Tile) string {
	n := fmt.Sprintf("%03d", t.N%1000)
	for rest := t.N / 1000; rest > 0; rest /= 1000 {
		n = fmt.Sprintf("x%03d/%s", rest%1000, n)
	}
	path := fmt.Sprintf("tile/%d/%s", t.L, n)
	if t.W < 1<<tileHeight {
		path += fmt.Sprintf(".p/%d", t.W)
	}
	return path
}

// httpTiles is a tlog.TileReader over HTTP. What it downloads is untrusted
// until a proof built from it checks out against a verified checkpoint.
type httpTiles struct {
	base    string
	client  *http.Client
	fetched int
}

func (r *httpTiles) Height() int { return tileHeight }

func (r *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		if t.H != tileHeight || t.L < 0 {
			return nil, fmt.Errorf("tile %v is not a hash tile of height %d", t, tileHeight)
		}
		body, err := r.get(c2spTilePath(t), t.W*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		data[i] = body
	}
	return data, nil
}

// SaveTiles is where a client would keep authenticated tiles; this one keeps none.
func (r *httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// get fetches <base>/<path>, refusing any answer but 200 and bodies over limit bytes.
func (r *httpTiles) get(path string, limit int) ([]byte, error) {
	r.fetched++
	resp, err := r.client.Get(r.base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if len(body) > limit {
		return nil, fmt.Errorf("GET %s: more than %d bytes", path, limit)
	}
	return body, nil
}

// openCheckpoint opens a signed checkpoint with the vkey and parses it; the
// key's name must be the checkpoint's origin.
func openCheckpoint(vkey, signed string) (checkpoint, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return checkpoint{}, fmt.Errorf("vkey: %w", err)
	}
	opened, err := note.Open([]byte(signed), note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, err
	}
	cp, err := parseCheckpoint(opened.Text)
	if err != nil {
		return checkpoint{}, err
	}
	if cp.origin != verifier.Name() {
		return checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key name %q", cp.origin, verifier.Name())
	}
	return cp, nil
}

func checkWithTiles(c testCase, r *result) error {
	tiles := &httpTiles{base: strings.TrimSuffix(c.BaseURL, "/"), client: &http.Client{Timeout: 30 * time.Second}}
	defer func() {
		fetched := tiles.fetched
		r.Tiles = &fetched
	}()
	signed, err := tiles.get("checkpoint", 64<<10)
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(c.Vkey, string(signed))
	if err != nil {
		return err
	}
	r.Origin = cp.origin
	size := cp.size
	r.Size = &size
	r.Root = base64.StdEncoding.EncodeToString(cp.root[:])
	leaf, err := decodeHash(c.LeafHash)
	if err != nil {
		return fmt.Errorf("leaf hash: %w", err)
	}
	hashes := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, tiles)
	proof, err := tlog.ProveRecord(cp.size, c.Index, hashes)
	if err != nil {
		return fmt.Errorf("proving record %d from tiles: %w", c.Index, err)
	}
	if err := tlog.CheckRecord(proof, cp.size, cp.root, c.Index, leaf); err != nil {
		return err
	}
	if c.Note == "" {
		return nil
	}
	old, err := openCheckpoint(c.Vkey, c.Note)
	if err != nil {
		return fmt.Errorf("earlier checkpoint: %w", err)
	}
	treeProof, err := tlog.ProveTree(cp.size, old.size, hashes)
	if err != nil {
		return fmt.Errorf("proving tree %d in %d from tiles: %w", old.size, cp.size, err)
	}
	return tlog.CheckTree(treeProof, cp.size, cp.root, old.size, old.root)
}

// decodeJSON reads one JSON value, numbers kept as written so that a
// floating-point one can be told apart, and nothing after it.
func decodeJSON(data []byte, into interface{}) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	if err := decoder.Decode(into); err != nil {
		return err
	}
	if decoder.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// hasFloat reports a number written with a fraction or an exponent: entries hold none.
func hasFloat(value interface{}) bool {
	switch v := value.(type) {
	case json.Number:
		return strings.ContainsAny(string(v), ".eE")
	case []interface{}:
		for _, item := range v {
			if hasFloat(item) {
				return true
			}
		}
	case map[string]interface{}:
		for _, item := range v {
			if hasFloat(item) {
				return true
			}
		}
	}
	return false
}

func isBase64URL(text string) bool {
	for _, c := range text {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// readDisclosure decodes [salt, name, value] from a disclosure string.
func readDisclosure(disclosure string) (string, interface{}, error) {
	// RawURLEncoding takes no padding; Strict refuses non-zero pad bits (one spelling only).
	raw, err := base64.RawURLEncoding.Strict().DecodeString(disclosure)
	if err != nil || disclosure == "" {
		return "", nil, fmt.Errorf("not base64url without padding: %v", err)
	}
	var triple []interface{}
	if err := decodeJSON(raw, &triple); err != nil {
		return "", nil, fmt.Errorf("not a JSON array: %w", err)
	}
	if len(triple) != 3 {
		return "", nil, fmt.Errorf("a disclosure is [salt, name, value], not %d elements", len(triple))
	}
	salt, ok := triple[0].(string)
	if !ok || len(salt) < 22 || !isBase64URL(salt) {
		return "", nil, errors.New("the salt is under 128 bits of base64url")
	}
	name, ok := triple[1].(string)
	if !ok || name == "" || name == "_sd" || name == "_sd_alg" {
		return "", nil, errors.New("not a field name")
	}
	if hasFloat(triple[2]) {
		return "", nil, errors.New("entries hold no floating-point numbers")
	}
	return name, triple[2], nil
}

func checkDisclosures(c testCase, r *result) error {
	var entry map[string]interface{}
	if err := decodeJSON(c.Entry, &entry); err != nil {
		return fmt.Errorf("entry: %w", err)
	}
	withholding := entry["v"] == json.Number("2")
	parts := map[string]map[string]interface{}{}
	listed := map[string][]string{}
	for _, part := range []string{"actor", "data"} {
		members, ok := entry[part].(map[string]interface{})
		if !ok {
			return fmt.Errorf("entry %s is not an object", part)
		}
		parts[part] = map[string]interface{}{}
		for name, value := range members {
			if withholding && (name == "_sd" || name == "_sd_alg") {
				continue
			}
			parts[part][name] = value
		}
		if digests, ok := members["_sd"].([]interface{}); ok && withholding {
			for _, d := range digests {
				text, ok := d.(string)
				if !ok {
					return fmt.Errorf("%s._sd holds a non-string", part)
				}
				listed[part] = append(listed[part], text)
			}
		}
	}
	seen := map[string]bool{}
	for i, disclosure := range c.Disclosures {
		name, value, err := readDisclosure(disclosure)
		if err != nil {
			return fmt.Errorf("disclosure %d: %w", i, err)
		}
		sum := sha256.Sum256([]byte(disclosure))
		digest := base64.RawURLEncoding.EncodeToString(sum[:])
		if seen[digest] {
			return fmt.Errorf("disclosure %d is given twice", i)
		}
		seen[digest] = true
		part := ""
		for _, p := range []string{"actor", "data"} {
			for _, d := range listed[p] {
				if d == digest {
					part = p
				}
			}
		}
		if part == "" {
			return fmt.Errorf("disclosure %d: digest %s is in no _sd of the entry", i, digest)
		}
		if _, clear := parts[part][name]; clear {
			return fmt.Errorf("disclosure %d: %s.%s is already there", i, part, name)
		}
		parts[part][name] = value
	}
	actor, data := parts["actor"], parts["data"]
	r.Actor, r.Data = &actor, &data
	r.Withheld = map[string]int{}
	for _, p := range []string{"actor", "data"} {
		r.Withheld[p] = 0
		for _, d := range listed[p] {
			if !seen[d] {
				r.Withheld[p]++
			}
		}
	}
	return nil
}
