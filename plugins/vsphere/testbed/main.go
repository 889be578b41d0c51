// Copyright (C) 2026 The Ferry authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ferry-vcsim: the vCenter/ESXi simulator of the govmomi Go module (pinned by
// go.mod beside this file) with what Ferry's tests need on top:
//
//   - HTTPS with an RSA-2048 certificate for 127.0.0.1 written to -certdir
//     (the library's built-in certificate is RSA-1024, which GnuTLS refuses);
//   - the datastore file service (/folder) refuses requests without a session
//     cookie the server handed out, as a real vCenter does;
//   - scripted changed block tracking: QueryChangedDiskAreas answers from
//     -cbtdir/<vm name>-<device key>.json ({"areas": [[offset, length], ...]}),
//     and every CreateSnapshot_Task gives the VM's disks a new changeId first,
//     so each snapshot carries its own;
//   - -cbt VM,... turns change tracking on for those VMs at start, and
//     -disk-mb N gives every disk a capacity of N MiB;
//   - RetrievePropertiesEx honours maxObjects and ContinueRetrievePropertiesEx
//     serves the following pages, as vCenter does (the whole answer is
//     collected once and handed out page by page; the library's own tokens,
//     when it pages by itself, pass through);
//   - GET /ferry/stats counts the SOAP calls by method;
//   - -scenario rules gives DC0_H0_VM1 and the cluster the settings that
//     Forklift's vmware validation rules look for.
//
// On start it prints shell-style lines (VCSIM_URL=..., VCSIM_THUMBPRINT=...,
// VCSIM_DATASTORE_<name>=<dir>) and then VCSIM_READY. SIGTERM (or, with
// -exit-on-eof, the end of stdin) stops it and removes the datastore directories.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

const sessionCookie = "vmware_soap_session"

// ---- certificate ----

func loadOrMakeCertificate(dir string) (tls.Certificate, error) {
	certPath := filepath.Join(dir, "cert.pem")
	keyPath := filepath.Join(dir, "key.pem")
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		return cert, nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "127.0.0.1", Organization: []string{"ferry-vcsim"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	// write both under temporary names, then rename, so that concurrent
	// starts never read half a file
	for _, f := range []struct {
		path string
		data []byte
	}{{keyPath, keyPEM}, {certPath, certPEM}} {
		tmp := fmt.Sprintf("%s.%d", f.path, os.Getpid())
		if err := os.WriteFile(tmp, f.data, 0600); err != nil {
			return tls.Certificate{}, err
		}
		if err := os.Rename(tmp, f.path); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

func thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// ---- simulator objects ----

// simMap is the model's object registry (govmomi keeps one per model since
// 0.3x; set in main once the model exists).
var simMap *simulator.Registry

func setOption(m *simulator.OptionManager, key, value string) {
	for _, o := range m.Setting {
		if v := o.GetOptionValue(); v.Key == key {
			v.Value = value
			return
		}
	}
	m.Setting = append(m.Setting, &types.OptionValue{Key: key, Value: value})
}

// withLock runs f holding the simulator's lock on obj, as a caller of its own
// (the front end works outside the simulator's request contexts).
func withLock(obj mo.Reference, f func()) {
	simMap.WithLock(&simulator.Context{Context: context.Background(), Map: simMap}, obj, f)
}

func findVM(name string) *simulator.VirtualMachine {
	for _, e := range simMap.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok && vm.Name == name {
			return vm
		}
	}
	return nil
}

func vmByRef(value string) *simulator.VirtualMachine {
	obj := simMap.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: value})
	vm, _ := obj.(*simulator.VirtualMachine)
	return vm
}

func enableChangeTracking(vm *simulator.VirtualMachine) {
	on := true
	vm.Config.ChangeTrackingEnabled = &on
	for _, d := range vm.Config.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		key := fmt.Sprintf("scsi0:%d.ctkEnabled", *disk.UnitNumber)
		vm.Config.ExtraConfig = append(vm.Config.ExtraConfig,
			&types.OptionValue{Key: key, Value: "TRUE"})
	}
}

var changeGeneration int

// newChangeIds gives every disk of vm a new device object with a new
// changeId; the old objects stay with the snapshots that copied them. Disks
// of VMs without change tracking have no changeId, as on a real host.
func newChangeIds(vm *simulator.VirtualMachine) {
	withLock(vm, func() {
		if vm.Config.ChangeTrackingEnabled == nil || !*vm.Config.ChangeTrackingEnabled {
			return
		}
		changeGeneration++
		devices := make([]types.BaseVirtualDevice, 0, len(vm.Config.Hardware.Device))
		for _, d := range vm.Config.Hardware.Device {
			disk, ok := d.(*types.VirtualDisk)
			if !ok {
				devices = append(devices, d)
				continue
			}
			copyDisk := *disk
			if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
				backing := *b
				backing.ChangeId = fmt.Sprintf("52 66 65 72 72 79 00 %02x-00 00 00 00 00 00 %02x %02x/%d",
					disk.Key%256, changeGeneration/256, changeGeneration%256, changeGeneration)
				copyDisk.Backing = &backing
			}
			devices = append(devices, &copyDisk)
		}
		vm.Config.Hardware.Device = devices
	})
}

// ---- the rules scenario ----

func applyRulesScenario() {
	vm := findVM("DC0_H0_VM1")
	if vm == nil {
		log.Fatal("scenario rules: no VM DC0_H0_VM1 in this model")
	}
	yes := true
	cfg := vm.Config
	cfg.CpuAffinity = &types.VirtualMachineAffinityInfo{AffinitySet: []int32{0, 1}}
	cfg.CpuHotAddEnabled = &yes
	cfg.CpuHotRemoveEnabled = &yes
	cfg.MemoryHotAddEnabled = &yes
	cfg.NestedHVEnabled = &yes
	cfg.GuestId = "dosGuest"
	cfg.GuestFullName = "MS-DOS"
	cfg.Firmware = "efi"
	cfg.BootOptions = &types.VirtualMachineBootOptions{EfiSecureBootEnabled: &yes}
	cfg.ExtraConfig = append(cfg.ExtraConfig,
		&types.OptionValue{Key: "disk.EnableUUID", Value: "TRUE"},
		&types.OptionValue{Key: "numa.nodeAffinity", Value: "0,1"})
	for _, d := range cfg.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
				b.DiskMode = string(types.VirtualDiskModeIndependent_persistent)
				b.Sharing = "sharingMultiWriter"
			}
		}
	}
	// a second disk: a physical RDM of no size, on no datastore
	var controllerKey int32
	for _, d := range cfg.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			controllerKey = disk.ControllerKey
		}
	}
	unit := int32(1)
	cfg.Hardware.Device = append(cfg.Hardware.Device,
		&types.VirtualDisk{
			VirtualDevice: types.VirtualDevice{
				Key: 2100, ControllerKey: controllerKey, UnitNumber: &unit,
				Backing: &types.VirtualDiskRawDiskMappingVer1BackingInfo{
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
						FileName: "[LocalDS_0] DC0_H0_VM1/lun0-rdm.vmdk"},
					LunUuid:           "0200000000600a098038303053453f463045373651304c554e",
					DeviceName:        "vml.0200000000600a098038303053453f4630453736",
					CompatibilityMode: "physicalMode",
					DiskMode:          "independent_persistent",
				},
			},
			CapacityInKB: 0,
		},
		&types.VirtualTPM{VirtualDevice: types.VirtualDevice{Key: 11000}},
		&types.VirtualUSBController{VirtualController: types.VirtualController{
			VirtualDevice: types.VirtualDevice{Key: 7000}}},
		&types.VirtualPCIPassthrough{VirtualDevice: types.VirtualDevice{Key: 13000}},
		&types.VirtualSriovEthernetCard{VirtualEthernetCard: types.VirtualEthernetCard{
			VirtualDevice: types.VirtualDevice{Key: 4100}, MacAddress: "00:50:56:aa:bb:01"}})
	vm.Runtime.ConsolidationNeeded = true
	vm.Runtime.FaultToleranceState = types.VirtualMachineFaultToleranceStateRunning
	vm.Guest.HostName = "localhost.localdomain"

	// the other VM on the host looks like a healthy, well-known guest
	if healthy := findVM("DC0_H0_VM0"); healthy != nil {
		healthy.Config.GuestId = "rhel8_64Guest"
		healthy.Config.GuestFullName = "Red Hat Enterprise Linux 8 (64-bit)"
		healthy.Guest.HostName = "web-01.example.com"
		healthy.Guest.GuestFullName = "Red Hat Enterprise Linux 8.9 (Ootpa)"
		healthy.Guest.IpAddress = "192.0.2.10"
		healthy.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		healthy.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		healthy.Guest.Net = []types.GuestNicInfo{{
			Network:        "VM Network",
			MacAddress:     "00:0c:29:36:63:01",
			Connected:      true,
			DeviceConfigId: 4000,
			IpConfig: &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{{
				IpAddress: "192.0.2.10", PrefixLength: 24, Origin: "dhcp"}}},
		}}
		healthy.Guest.Disk = []types.GuestDiskInfo{
			{DiskPath: "/", Capacity: 10 << 30, FreeSpace: 4 << 30, FilesystemType: "xfs"},
			{DiskPath: "/boot", Capacity: 1 << 30, FreeSpace: 600 << 20, FilesystemType: "xfs"},
		}
		healthy.Guest.IpStack = []types.GuestStackInfo{{
			DnsConfig: &types.NetDnsConfigInfo{IpAddress: []string{"192.0.2.53"}},
			IpRouteConfig: &types.NetIpRouteConfigInfo{IpRoute: []types.NetIpRouteConfigInfoIpRoute{{
				Network: "0.0.0.0", PrefixLength: 0,
				Gateway: types.NetIpRouteConfigInfoGateway{IpAddress: "192.0.2.1", Device: "0"}}}},
		}}
	}

	for _, e := range simMap.All("ClusterComputeResource") {
		cluster := e.(*simulator.ClusterComputeResource)
		cfg, ok := cluster.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			continue
		}
		cfg.DrsConfig.Enabled = &yes
		cfg.DrsConfig.DefaultVmBehavior = types.DrsBehaviorFullyAutomated
		cfg.DasConfig.Enabled = &yes
		cfg.DpmConfigInfo = &types.ClusterDpmConfigInfo{Enabled: &yes}
		// the cluster's first VM, by name: map order is random
		var members []types.ManagedObjectReference
		if pinned := findVM(cluster.Name + "_RP0_VM0"); pinned != nil {
			members = append(members, pinned.Self)
		}
		cfg.Group = append(cfg.Group,
			&types.ClusterVmGroup{ClusterGroupInfo: types.ClusterGroupInfo{Name: "pinned-vms"}, Vm: members},
			&types.ClusterHostGroup{ClusterGroupInfo: types.ClusterGroupInfo{Name: "pinned-hosts"}, Host: cluster.Host})
		cfg.Rule = append(cfg.Rule, &types.ClusterVmHostRuleInfo{
			ClusterRuleInfo:     types.ClusterRuleInfo{Name: "pin", Enabled: &yes, Key: 1},
			VmGroupName:         "pinned-vms",
			AffineHostGroupName: "pinned-hosts",
		})
	}
}

// ---- HTTP front-end ----

type frontEnd struct {
	next    http.Handler
	cbtDir  string
	mu      sync.Mutex
	cookies map[string]bool
	calls   map[string]int
	pages   map[string]*pagedResult
	tokens  int
}

// pagedResult is what is left of a RetrievePropertiesEx answer
type pagedResult struct {
	objects  [][]byte
	pageSize int
}

type moRef struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type cbtRequest struct {
	This        moRef  `xml:"_this"`
	DeviceKey   int32  `xml:"deviceKey"`
	StartOffset int64  `xml:"startOffset"`
	ChangeId    string `xml:"changeId"`
}

// findCall decodes the first element named name anywhere in body into v
func findCall(body []byte, name string, v interface{}) bool {
	decoder := xml.NewDecoder(bytes.NewReader(body))
	for {
		token, err := decoder.Token()
		if err != nil {
			return false
		}
		if start, ok := token.(xml.StartElement); ok && start.Name.Local == name {
			return decoder.DecodeElement(v, &start) == nil
		}
	}
}

func writeFault(w http.ResponseWriter, faultType, message string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	var escaped bytes.Buffer
	_ = xml.EscapeText(&escaped, []byte(message))
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring>
<detail><%sFault xmlns="urn:vim25" xsi:type="%s"></%sFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		escaped.String(), faultType, faultType, faultType)
}

func (f *frontEnd) queryChangedDiskAreas(w http.ResponseWriter, req *cbtRequest) {
	vm := vmByRef(req.This.Value)
	if vm == nil {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created")
		return
	}
	var capacity int64 = -1
	tracking := false
	withLock(vm, func() {
		for _, d := range vm.Config.Hardware.Device {
			if disk, ok := d.(*types.VirtualDisk); ok && disk.Key == req.DeviceKey {
				capacity = disk.CapacityInBytes
				if capacity == 0 {
					capacity = disk.CapacityInKB * 1024
				}
			}
		}
		tracking = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
	})
	if capacity < 0 {
		writeFault(w, "InvalidArgument", fmt.Sprintf("no disk with key %d", req.DeviceKey))
		return
	}
	if !tracking {
		writeFault(w, "FileFault", "Error caused by file: change tracking is not enabled for this disk")
		return
	}
	var areas [][2]int64
	data, err := os.ReadFile(filepath.Join(f.cbtDir, fmt.Sprintf("%s-%d.json", vm.Name, req.DeviceKey)))
	switch {
	case err == nil:
		var script struct {
			Areas [][2]int64 `json:"areas"`
		}
		if err := json.Unmarshal(data, &script); err != nil {
			writeFault(w, "InvalidArgument", "bad change script: "+err.Error())
			return
		}
		areas = script.Areas
	case req.ChangeId == "*":
		areas = [][2]int64{{0, capacity}}
	}
	// answer in pages of at most 4 areas, as a real host pages long lists
	var out strings.Builder
	end := capacity
	count := 0
	for _, a := range areas {
		if a[0]+a[1] <= req.StartOffset {
			continue
		}
		if count == 4 {
			end = a[0]
			break
		}
		start, length := a[0], a[1]
		if start < req.StartOffset {
			length -= req.StartOffset - start
			start = req.StartOffset
		}
		fmt.Fprintf(&out, "<changedArea><start>%d</start><length>%d</length></changedArea>", start, length)
		count++
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval><startOffset>%d</startOffset><length>%d</length>%s</returnval></QueryChangedDiskAreasResponse></soapenv:Body></soapenv:Envelope>`,
		req.StartOffset, end-req.StartOffset, out.String())
}

// cookieRecorder remembers the session cookies the SDK hands out
type cookieRecorder struct {
	http.ResponseWriter
	front *frontEnd
}

func (r *cookieRecorder) WriteHeader(status int) {
	response := http.Response{Header: r.Header()}
	for _, c := range response.Cookies() {
		if c.Name == sessionCookie {
			r.front.mu.Lock()
			r.front.cookies[c.Value] = true
			r.front.mu.Unlock()
		}
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *cookieRecorder) Write(b []byte) (int, error) {
	return r.ResponseWriter.Write(b)
}

// soapMethod is the name of the first element in the SOAP body
func soapMethod(body []byte) string {
	decoder := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		token, err := decoder.Token()
		if err != nil {
			return ""
		}
		if start, ok := token.(xml.StartElement); ok {
			if inBody {
				return start.Name.Local
			}
			inBody = start.Name.Local == "Body"
		}
	}
}

// splitElements finds the <name>…</name> elements of a document. The
// elements used here (ObjectContent) do not nest and markup never appears
// escaped in text, so plain byte search is exact, and fast over megabytes.
func splitElements(body []byte, name string) (elements [][]byte) {
	open, close := []byte("<"+name+">"), []byte("</"+name+">")
	for offset := 0; ; {
		start := bytes.Index(body[offset:], open)
		if start < 0 {
			return elements
		}
		start += offset
		end := bytes.Index(body[start:], close)
		if end < 0 {
			return nil
		}
		end += start + len(close)
		elements = append(elements, body[start:end])
		offset = end
	}
}

func writeObjects(w http.ResponseWriter, method string, objects [][]byte, token string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><%sResponse xmlns="urn:vim25"><returnval>`, method)
	if token != "" {
		fmt.Fprintf(w, "<token>%s</token>", token)
	}
	for _, o := range objects {
		_, _ = w.Write(o)
	}
	fmt.Fprintf(w, "</returnval></%sResponse></soapenv:Body></soapenv:Envelope>", method)
}

// nextPage hands out a page of a stored answer, and a token when more
// remain
func (f *frontEnd) nextPage(result *pagedResult) ([][]byte, string) {
	n := result.pageSize
	if n > len(result.objects) {
		n = len(result.objects)
	}
	page := result.objects[:n]
	result.objects = result.objects[n:]
	if len(result.objects) == 0 {
		return page, ""
	}
	f.mu.Lock()
	f.tokens++
	token := strconv.Itoa(f.tokens)
	f.pages[token] = result
	f.mu.Unlock()
	return page, token
}

// retrievePaged answers a RetrievePropertiesEx with maxObjects in pages.
// The library collects everything in one go; collecting each page on its
// own (explicit object sets) is far slower in it, so the whole answer is
// collected once and handed out page by page.
func (f *frontEnd) retrievePaged(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		MaxObjects int `xml:"options>maxObjects"`
	}
	if !findCall(body, "RetrievePropertiesEx", &req) || req.MaxObjects <= 0 {
		f.next.ServeHTTP(&cookieRecorder{ResponseWriter: w, front: f}, r)
		return
	}
	recorder := httptest.NewRecorder()
	f.next.ServeHTTP(recorder, r)
	objects := splitElements(recorder.Body.Bytes(), "objects")
	if recorder.Code != http.StatusOK || len(objects) <= req.MaxObjects {
		for k, v := range recorder.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(recorder.Code)
		_, _ = w.Write(recorder.Body.Bytes())
		return
	}
	page, token := f.nextPage(&pagedResult{objects: objects, pageSize: req.MaxObjects})
	writeObjects(w, "RetrievePropertiesEx", page, token)
}

// continueRetrieve serves the next page of an answer paged here; a token of
// the library's own (govmomi pages by maxObjects itself since 0.3x, when it
// collected fewer objects) goes to the library.
func (f *frontEnd) continueRetrieve(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Token string `xml:"token"`
	}
	findCall(body, "ContinueRetrievePropertiesEx", &req)
	f.mu.Lock()
	result := f.pages[req.Token]
	delete(f.pages, req.Token)
	f.mu.Unlock()
	if result == nil {
		f.next.ServeHTTP(&cookieRecorder{ResponseWriter: w, front: f}, r)
		return
	}
	page, token := f.nextPage(result)
	writeObjects(w, "ContinueRetrievePropertiesEx", page, token)
}

func (f *frontEnd) serveStats(w http.ResponseWriter) {
	f.mu.Lock()
	names := make([]string, 0, len(f.calls))
	for name := range f.calls {
		names = append(names, name)
	}
	sort.Strings(names)
	counts := make(map[string]int, len(f.calls))
	for _, name := range names {
		counts[name] = f.calls[name]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"calls": counts})
}

func (f *frontEnd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/folder"):
		c, err := r.Cookie(sessionCookie)
		f.mu.Lock()
		known := err == nil && f.cookies[c.Value]
		f.mu.Unlock()
		if !known {
			http.Error(w, "session cookie required", http.StatusUnauthorized)
			return
		}
		f.next.ServeHTTP(w, r)
	case r.URL.Path == "/ferry/stats":
		f.serveStats(w)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		method := soapMethod(body)
		f.mu.Lock()
		f.calls[method]++
		f.mu.Unlock()
		switch method {
		case "RetrievePropertiesEx":
			f.retrievePaged(w, r, body)
			return
		case "ContinueRetrievePropertiesEx":
			f.continueRetrieve(w, r, body)
			return
		}
		var cbt cbtRequest
		if bytes.Contains(body, []byte("QueryChangedDiskAreas")) && findCall(body, "QueryChangedDiskAreas", &cbt) {
			c, err := r.Cookie(sessionCookie)
			f.mu.Lock()
			known := err == nil && f.cookies[c.Value]
			f.mu.Unlock()
			if !known {
				writeFault(w, "NotAuthenticated", "The session is not authenticated.")
				return
			}
			f.queryChangedDiskAreas(w, &cbt)
			return
		}
		var snap struct {
			This moRef `xml:"_this"`
		}
		if bytes.Contains(body, []byte("CreateSnapshot_Task")) && findCall(body, "CreateSnapshot_Task", &snap) {
			if vm := vmByRef(snap.This.Value); vm != nil {
				newChangeIds(vm)
			}
		}
		f.next.ServeHTTP(&cookieRecorder{ResponseWriter: w, front: f}, r)
	default:
		f.next.ServeHTTP(w, r)
	}
}

func main() {
	listen := flag.String("l", "127.0.0.1:0", "listen address")
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of vCenter")
	vms := flag.Int("vm", 2, "VMs per resource pool")
	hosts := flag.Int("host", 1, "standalone hosts per datacenter")
	clusters := flag.Int("cluster", 1, "clusters per datacenter")
	clusterHosts := flag.Int("cluster-host", 3, "hosts per cluster")
	datacenters := flag.Int("dc", 1, "datacenters")
	datastores := flag.Int("ds", 1, "datastores")
	portgroups := flag.Int("pg", 1, "distributed port groups per datacenter")
	user := flag.String("username", "", "the only user accepted (default: any)")
	password := flag.String("password", "", "its password")
	certDir := flag.String("certdir", "", "directory of cert.pem/key.pem, created when missing")
	cbtDir := flag.String("cbtdir", "", "directory of changed-area scripts")
	cbtVMs := flag.String("cbt", "", "comma-separated VM names with change tracking on")
	scenario := flag.String("scenario", "", "extra settings: rules")
	idle := flag.Duration("idle-timeout", 0, "expire sessions idle this long (0: never)")
	exitOnEOF := flag.Bool("exit-on-eof", false, "stop when stdin reaches end of file (the parent went away)")
	diskMB := flag.Int64("disk-mb", 1, "give every VM disk this capacity in MiB (the library's own default is 10 GiB since govmomi 0.3x; 0 keeps it)")
	flag.Parse()

	log.SetPrefix("ferry-vcsim: ")

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	} else {
		model.Datacenter = *datacenters
		model.Host = *hosts
		model.Cluster = *clusters
		model.ClusterHost = *clusterHosts
		model.Portgroup = *portgroups
	}
	model.Machine = *vms
	model.Datastore = *datastores
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()
	simMap = model.Map()
	if *idle > 0 {
		// the simulator expires idle sessions after this vCenter option
		setOption(simMap.OptionManager(), "config.vmacore.soap.sessionTimeout", idle.String())
	}

	if *diskMB > 0 {
		for _, e := range simMap.All("VirtualMachine") {
			vm := e.(*simulator.VirtualMachine)
			for _, d := range vm.Config.Hardware.Device {
				if disk, ok := d.(*types.VirtualDisk); ok {
					disk.CapacityInKB = *diskMB * 1024
					disk.CapacityInBytes = *diskMB << 20
				}
			}
		}
	}
	for _, name := range strings.Split(*cbtVMs, ",") {
		if name == "" {
			continue
		}
		vm := findVM(name)
		if vm == nil {
			log.Fatalf("-cbt: no VM named %s", name)
		}
		enableChangeTracking(vm)
	}
	switch *scenario {
	case "":
	case "rules":
		applyRulesScenario()
	default:
		log.Fatalf("unknown scenario %q", *scenario)
	}

	address := &url.URL{Host: *listen}
	if *user != "" {
		address.User = url.UserPassword(*user, *password)
	}
	model.Service.Listen = address
	if *certDir != "" {
		if err := os.MkdirAll(*certDir, 0700); err != nil {
			log.Fatal(err)
		}
		cert, err := loadOrMakeCertificate(*certDir)
		if err != nil {
			log.Fatal(err)
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	server := model.Service.NewServer()
	server.Server.Config.Handler = &frontEnd{
		next:    server.Server.Config.Handler,
		cbtDir:  *cbtDir,
		cookies: map[string]bool{},
		calls:   map[string]int{},
		pages:   map[string]*pagedResult{},
	}

	out := bufio.NewWriter(os.Stdout)
	sdk := *server.URL
	sdk.User = nil
	fmt.Fprintf(out, "VCSIM_URL=%s\n", sdk.String())
	if model.Service.TLS != nil {
		fmt.Fprintf(out, "VCSIM_THUMBPRINT=%s\n", thumbprint(model.Service.TLS.Certificates[0].Certificate[0]))
		fmt.Fprintf(out, "VCSIM_CA=%s\n", filepath.Join(*certDir, "cert.pem"))
	}
	for _, e := range simMap.All("Datastore") {
		ds := e.(*simulator.Datastore)
		fmt.Fprintf(out, "VCSIM_DATASTORE_%s=%s\n", ds.Name, ds.Info.GetDatastoreInfo().Url)
	}
	fmt.Fprintln(out, "VCSIM_READY")
	out.Flush()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	<-stop
	server.Close()
}
