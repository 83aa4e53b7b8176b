// vectors.go: whatsmeow's side of the binary node vectors
// (test/data/waweb/node-vectors.json; ponton's side is
// test/tools/wa_node_vectors.c, the orchestration
// test/wa/12-node-vectors-whatsmeow.sh).  Uses whatsmeow's own binary
// package (Marshal/Unmarshal) from the pinned module.
//
//	whatsmeow-driver vectors encode VECTORS
//	    "name hex" per vector: whatsmeow's frame (flag byte 0 + node)
//	whatsmeow-driver vectors check VECTORS PONTON_HEXES
//	    PASS/FAIL per vector:
//	    whatsmeow-bytes-equal      whatsmeow's bytes equal ponton's, but for
//	                               the order of attributes (whatsmeow keeps
//	                               them in a Go map, which has no order)
//	    whatsmeow-bytes-documented where the vector's "whatsmeow.hex" says
//	                               whatsmeow writes other bytes: it writes
//	                               exactly those, and ponton does not
//	    whatsmeow-decodes-ponton   whatsmeow decodes ponton's bytes to what
//	                               it decodes its own bytes to (or to
//	                               "whatsmeow.view" where that is given)
//
// A vector's node becomes a whatsmeow Node the way a whatsmeow user would
// build it: typed JIDs ({"jid": ...}) as types.JID, strings as strings,
// bytes as []byte.  A view is {tag, attrs: {k: string | {"jid": String()}},
// content: null | [views] | {bytes: hex} | {string: s} | {jid: s}}.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

type vecJID struct {
	JID        string `json:"jid"`
	Integrator uint16 `json:"integrator"`
}

type vecNode struct {
	Tag     string              `json:"tag"`
	Attrs   [][]json.RawMessage `json:"attrs"`
	Content json.RawMessage     `json:"content"`
}

type vecWhatsmeow struct {
	Hex  string          `json:"hex"`
	Why  string          `json:"why"`
	View json.RawMessage `json:"view"`
}

type vector struct {
	Name      string        `json:"name"`
	Node      vecNode       `json:"node"`
	Whatsmeow *vecWhatsmeow `json:"whatsmeow"`
}

func parseVecJID(v vecJID) (types.JID, error) {
	j, err := types.ParseJID(v.JID)
	if err != nil {
		return j, err
	}
	j.Integrator = v.Integrator
	return j, nil
}

// value is an attribute value or a content: a string or a typed JID.
func value(raw json.RawMessage) (any, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var j vecJID
	if err := json.Unmarshal(raw, &j); err != nil || j.JID == "" && !bytes.Contains(raw, []byte(`"jid"`)) {
		return nil, fmt.Errorf("bad value %s", raw)
	}
	return parseVecJID(j)
}

func toNode(v vecNode) (waBinary.Node, error) {
	n := waBinary.Node{Tag: v.Tag, Attrs: waBinary.Attrs{}}
	for _, kv := range v.Attrs {
		if len(kv) != 2 {
			return n, errors.New("attribute is not a pair")
		}
		var k string
		if err := json.Unmarshal(kv[0], &k); err != nil {
			return n, err
		}
		val, err := value(kv[1])
		if err != nil {
			return n, err
		}
		n.Attrs[k] = val
	}
	c := bytes.TrimSpace(v.Content)
	if len(c) == 0 || string(c) == "null" {
		return n, nil
	}
	if c[0] == '[' {
		var kids []vecNode
		if err := json.Unmarshal(c, &kids); err != nil {
			return n, err
		}
		list := make([]waBinary.Node, 0, len(kids))
		for _, k := range kids {
			kn, err := toNode(k)
			if err != nil {
				return n, err
			}
			list = append(list, kn)
		}
		n.Content = list
		return n, nil
	}
	var o struct {
		Bytes       *string           `json:"bytes"`
		BytesRepeat []json.RawMessage `json:"bytes_repeat"`
		String      *string           `json:"string"`
		Repeat      []json.RawMessage `json:"repeat"`
		JID         *string           `json:"jid"`
		Integrator  uint16            `json:"integrator"`
	}
	if err := json.Unmarshal(c, &o); err != nil {
		return n, err
	}
	switch {
	case o.Bytes != nil:
		b, err := hex.DecodeString(*o.Bytes)
		if err != nil {
			return n, err
		}
		n.Content = b
	case o.BytesRepeat != nil:
		var unitHex string
		var count int
		if len(o.BytesRepeat) != 2 || json.Unmarshal(o.BytesRepeat[0], &unitHex) != nil ||
			json.Unmarshal(o.BytesRepeat[1], &count) != nil {
			return n, errors.New("bad bytes_repeat")
		}
		unit, err := hex.DecodeString(unitHex)
		if err != nil {
			return n, err
		}
		n.Content = bytes.Repeat(unit, count)
	case o.String != nil:
		n.Content = *o.String
	case o.Repeat != nil:
		var kid vecNode
		var count int
		if len(o.Repeat) != 2 || json.Unmarshal(o.Repeat[0], &kid) != nil ||
			json.Unmarshal(o.Repeat[1], &count) != nil {
			return n, errors.New("bad repeat")
		}
		kn, err := toNode(kid)
		if err != nil {
			return n, err
		}
		list := make([]waBinary.Node, count)
		for i := range list {
			list[i] = kn
		}
		n.Content = list
	case o.JID != nil:
		j, err := parseVecJID(vecJID{JID: *o.JID, Integrator: o.Integrator})
		if err != nil {
			return n, err
		}
		n.Content = j
	default:
		return n, fmt.Errorf("bad content %s", c)
	}
	return n, nil
}

func viewValue(v any) any {
	switch t := v.(type) {
	case types.JID:
		return map[string]string{"jid": t.String()}
	case string:
		return t
	default:
		return fmt.Sprintf("%T:%v", v, v)
	}
}

func view(n *waBinary.Node) map[string]any {
	attrs := map[string]any{}
	for k, v := range n.Attrs {
		attrs[k] = viewValue(v)
	}
	var content any
	switch c := n.Content.(type) {
	case nil:
	case []waBinary.Node:
		list := make([]any, len(c))
		for i := range c {
			list[i] = view(&c[i])
		}
		content = list
	case []byte:
		content = map[string]string{"bytes": hex.EncodeToString(c)}
	case string:
		content = map[string]string{"string": c}
	case types.JID:
		content = map[string]string{"jid": c.String()}
	default:
		content = fmt.Sprintf("%T", c)
	}
	return map[string]any{"tag": n.Tag, "attrs": attrs, "content": content}
}

// canonJSON re-encodes JSON with sorted object keys, so two views compare as
// strings.
func canonJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var generic any
	if err = json.Unmarshal(raw, &generic); err != nil {
		return "", err
	}
	raw, err = json.Marshal(generic) // maps marshal with sorted keys
	return string(raw), err
}

// Wire tags (dictionary version 3), for canon below.
const (
	tListEmpty = 0
	tDict0     = 236
	tDict3     = 239
	tInteropJ  = 245
	tFBJID     = 246
	tADJID     = 247
	tList8     = 248
	tList16    = 249
	tJIDPair   = 250
	tHex8      = 251
	tBinary8   = 252
	tBinary20  = 253
	tBinary32  = 254
	tNibble8   = 255
)

var errShort = errors.New("truncated")

// strEnd returns where the string (token, packed, raw, JID) at b[i] ends.
func strEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errShort
	}
	t := int(b[i])
	var end int
	var err error
	switch {
	case t == tListEmpty || t < tDict0:
		end = i + 1
	case t <= tDict3:
		end = i + 2
	case t == tInteropJ || t == tFBJID:
		if end, err = strEnd(b, i+1); err != nil {
			return 0, err
		}
		end += 2
		if t == tInteropJ {
			end += 2
		}
		return strEnd(b, end)
	case t == tADJID:
		return strEnd(b, i+3)
	case t == tJIDPair:
		if end, err = strEnd(b, i+1); err != nil {
			return 0, err
		}
		return strEnd(b, end)
	case t == tHex8 || t == tNibble8:
		if i+1 >= len(b) {
			return 0, errShort
		}
		end = i + 2 + int(b[i+1]&127)
	case t == tBinary8:
		if i+1 >= len(b) {
			return 0, errShort
		}
		end = i + 2 + int(b[i+1])
	case t == tBinary20:
		if i+3 >= len(b) {
			return 0, errShort
		}
		end = i + 4 + (int(b[i+1]&15)<<16 | int(b[i+2])<<8 | int(b[i+3]))
	case t == tBinary32:
		if i+4 >= len(b) {
			return 0, errShort
		}
		end = i + 5 + (int(b[i+1])<<24 | int(b[i+2])<<16 | int(b[i+3])<<8 | int(b[i+4]))
	default:
		return 0, fmt.Errorf("tag %d where a string belongs", t)
	}
	if end > len(b) {
		return 0, errShort
	}
	return end, nil
}

func listSize(b []byte, i int) (size, next int, err error) {
	if i >= len(b) {
		return 0, 0, errShort
	}
	switch b[i] {
	case tListEmpty:
		return 0, i + 1, nil
	case tList8:
		if i+1 >= len(b) {
			return 0, 0, errShort
		}
		return int(b[i+1]), i + 2, nil
	case tList16:
		if i+2 >= len(b) {
			return 0, 0, errShort
		}
		return int(b[i+1])<<8 | int(b[i+2]), i + 3, nil
	}
	return 0, 0, fmt.Errorf("tag %d where a list belongs", b[i])
}

// canonNode copies the node at b[i] to out with each node's attribute pairs
// sorted by their encoded bytes, every other byte unchanged: two encodings
// that differ only in attribute order canonicalise to the same bytes.
func canonNode(b []byte, i int, out *bytes.Buffer) (int, error) {
	size, j, err := listSize(b, i)
	if err != nil {
		return 0, err
	}
	out.Write(b[i:j])
	if size == 0 {
		return j, nil
	}
	end, err := strEnd(b, j)
	if err != nil {
		return 0, err
	}
	out.Write(b[j:end])
	j = end
	pairs := make([][]byte, 0, (size-1)/2)
	for k := 0; k < (size-1)/2; k++ {
		kEnd, err := strEnd(b, j)
		if err != nil {
			return 0, err
		}
		vEnd, err := strEnd(b, kEnd)
		if err != nil {
			return 0, err
		}
		pairs = append(pairs, b[j:vEnd])
		j = vEnd
	}
	sort.Slice(pairs, func(x, y int) bool { return bytes.Compare(pairs[x], pairs[y]) < 0 })
	for _, p := range pairs {
		out.Write(p)
	}
	if size%2 == 1 {
		return j, nil
	}
	if j < len(b) && (b[j] == tList8 || b[j] == tList16) {
		n, k, err := listSize(b, j)
		if err != nil {
			return 0, err
		}
		out.Write(b[j:k])
		for ; n > 0; n-- {
			if k, err = canonNode(b, k, out); err != nil {
				return 0, err
			}
		}
		return k, nil
	}
	end, err = strEnd(b, j)
	if err != nil {
		return 0, err
	}
	out.Write(b[j:end])
	return end, nil
}

// canon canonicalises a node without its flag byte.
func canon(b []byte) (string, error) {
	var out bytes.Buffer
	end, err := canonNode(b, 0, &out)
	if err != nil {
		return "", err
	}
	if end != len(b) {
		return "", fmt.Errorf("%d bytes after the node", len(b)-end)
	}
	return hex.EncodeToString(out.Bytes()), nil
}

func loadVectors(path string) ([]vector, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err = json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return doc.Vectors, nil
}

// marshal encodes with whatsmeow; its encoder panics on what it cannot
// write, which is reported as an error.
func marshal(n waBinary.Node) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("whatsmeow panicked: %v", r)
		}
	}()
	return waBinary.Marshal(n)
}

func runVectors(args []string) int {
	if len(args) < 2 || (args[0] == "encode") != (len(args) == 2) ||
		(args[0] == "check") != (len(args) == 3) {
		fmt.Fprintln(os.Stderr, "usage: whatsmeow-driver vectors encode VECTORS | check VECTORS PONTON_HEXES")
		return 2
	}
	vecs, err := loadVectors(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vectors:", err)
		return 2
	}
	failed := 0
	result := func(ok bool, what, name, why string) {
		if ok {
			say("PASS: %s: %s", what, name)
			return
		}
		failed++
		if why != "" {
			say("FAIL: %s: %s: %s", what, name, why)
		} else {
			say("FAIL: %s: %s", what, name)
		}
	}
	ponton := map[string][]byte{}
	if args[0] == "check" {
		f, err := os.Open(args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "vectors:", err)
			return 2
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			name, h, ok := strings.Cut(sc.Text(), " ")
			b, err := hex.DecodeString(h)
			if ok && err == nil && len(b) > 1 && b[0] == 0 {
				ponton[name] = b[1:]
			}
		}
		f.Close()
	}
	for _, v := range vecs {
		n, err := toNode(v.Node)
		if err != nil {
			result(false, "whatsmeow-parse-vector", v.Name, err.Error())
			continue
		}
		frame, err := marshal(n)
		if err != nil || len(frame) < 2 || frame[0] != 0 {
			result(false, "whatsmeow-encode", v.Name, fmt.Sprint(err))
			continue
		}
		mine := frame[1:]
		if args[0] == "encode" {
			say("%s %s", v.Name, hex.EncodeToString(frame))
			continue
		}
		theirs, ok := ponton[v.Name]
		if !ok {
			result(false, "whatsmeow-bytes-equal", v.Name, "no ponton encoding")
			continue
		}
		cm, err1 := canon(mine)
		ct, err2 := canon(theirs)
		if err1 != nil || err2 != nil {
			result(false, "whatsmeow-canon", v.Name, fmt.Sprint(err1, err2))
			continue
		}
		if w := v.Whatsmeow; w != nil && w.Hex != "" {
			doc, _ := hex.DecodeString(w.Hex)
			cd, err := canon(doc)
			result(err == nil && cd == cm && cd != ct, "whatsmeow-bytes-documented", v.Name,
				fmt.Sprintf("whatsmeow %s ponton %s", hex.EncodeToString(mine), hex.EncodeToString(theirs)))
		} else {
			result(cm == ct, "whatsmeow-bytes-equal", v.Name,
				fmt.Sprintf("whatsmeow %.400s ponton %.400s", hex.EncodeToString(mine), hex.EncodeToString(theirs)))
		}
		var want string
		if v.Whatsmeow != nil && len(v.Whatsmeow.View) > 0 {
			var generic any
			if err = json.Unmarshal(v.Whatsmeow.View, &generic); err == nil {
				want, err = canonJSON(generic)
			}
		} else {
			var own *waBinary.Node
			if own, err = waBinary.Unmarshal(mine); err == nil {
				want, err = canonJSON(view(own))
			}
		}
		if err != nil {
			result(false, "whatsmeow-decodes-ponton", v.Name, "expected view: "+err.Error())
			continue
		}
		got, err := waBinary.Unmarshal(theirs)
		if err != nil {
			result(false, "whatsmeow-decodes-ponton", v.Name, err.Error())
			continue
		}
		gs, _ := canonJSON(view(got))
		result(gs == want, "whatsmeow-decodes-ponton", v.Name, fmt.Sprintf("got %.600s", gs))
	}
	if failed > 0 {
		return 1
	}
	return 0
}
