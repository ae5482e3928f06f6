package image

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// SPDX document types: the subset of SPDX 2.3 JSON that Build writes.
type (
	// SPDXDocument is an SPDX 2.3 document.
	SPDXDocument struct {
		SPDXVersion       string             `json:"spdxVersion"`
		DataLicense       string             `json:"dataLicense"`
		SPDXID            string             `json:"SPDXID"`
		Name              string             `json:"name"`
		DocumentNamespace string             `json:"documentNamespace"`
		CreationInfo      SPDXCreationInfo   `json:"creationInfo"`
		Packages          []SPDXPackage      `json:"packages"`
		Relationships     []SPDXRelationship `json:"relationships"`
	}
	// SPDXCreationInfo says who made the document and when.
	SPDXCreationInfo struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
		Comment  string   `json:"comment,omitempty"`
	}
	// SPDXPackage is one Go module (or the standard library).
	SPDXPackage struct {
		Name                  string            `json:"name"`
		SPDXID                string            `json:"SPDXID"`
		VersionInfo           string            `json:"versionInfo,omitempty"`
		DownloadLocation      string            `json:"downloadLocation"`
		FilesAnalyzed         bool              `json:"filesAnalyzed"`
		LicenseConcluded      string            `json:"licenseConcluded"`
		LicenseDeclared       string            `json:"licenseDeclared"`
		CopyrightText         string            `json:"copyrightText"`
		PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
		SourceInfo            string            `json:"sourceInfo,omitempty"`
		Comment               string            `json:"comment,omitempty"`
		Checksums             []SPDXChecksum    `json:"checksums,omitempty"`
		ExternalRefs          []SPDXExternalRef `json:"externalRefs,omitempty"`
	}
	// SPDXChecksum is a package checksum.
	SPDXChecksum struct {
		Algorithm     string `json:"algorithm"`
		ChecksumValue string `json:"checksumValue"`
	}
	// SPDXExternalRef is a package URL.
	SPDXExternalRef struct {
		ReferenceCategory string `json:"referenceCategory"`
		ReferenceType     string `json:"referenceType"`
		ReferenceLocator  string `json:"referenceLocator"`
	}
	// SPDXRelationship links two elements.
	SPDXRelationship struct {
		SPDXElementID      string `json:"spdxElementId"`
		RelationshipType   string `json:"relationshipType"`
		RelatedSPDXElement string `json:"relatedSpdxElement"`
	}
)

// StdlibPackage is the SPDX package name of the Go standard library; its
// version is the toolchain's (go1.26.x).
const StdlibPackage = "stdlib"

// SBOMInfo names the SBOM's subject.
type SBOMInfo struct {
	// Name is the app's name, used as the document name.
	Name string
	// Created is the document's creation time (SourceDateEpoch).
	Created time.Time
}

// SBOMFromBinary builds an SPDX 2.3 JSON document from the Go build
// information embedded in the binary bin: the main module (the
// application, with the binary's SHA-256), every linked module dependency
// with its version and go.sum hash, and the standard library at the
// toolchain's version. A module replaced by another module is listed as the
// replacement (path, version and hash: the code the binary links), its
// source info naming the module it replaces; one replaced by a directory
// keeps its path, at the version Go records for it ("(devel)"). The output
// depends only on bin and info.
func SBOMFromBinary(bin []byte, info SBOMInfo) ([]byte, error) {
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		return nil, fmt.Errorf("reading build info: %w", err)
	}
	sum := sha256.Sum256(bin)
	doc := SPDXDocument{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              info.Name,
		DocumentNamespace: "https://spdx.org/spdxdocs/" + info.Name + "-" + hex.EncodeToString(sum[:]),
		CreationInfo: SPDXCreationInfo{
			Created:  info.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: cent"},
			Comment:  "Generated from the Go build information of the binary: " + buildSettings(bi),
		},
	}
	mainID := spdxID(0, bi.Main.Path)
	doc.Packages = append(doc.Packages, SPDXPackage{
		Name:                  bi.Main.Path,
		SPDXID:                mainID,
		VersionInfo:           bi.Main.Version,
		DownloadLocation:      "NOASSERTION",
		LicenseConcluded:      "NOASSERTION",
		LicenseDeclared:       "NOASSERTION",
		CopyrightText:         "NOASSERTION",
		PrimaryPackagePurpose: "APPLICATION",
		Comment:               "main package " + bi.Path,
		Checksums:             []SPDXChecksum{{Algorithm: "SHA256", ChecksumValue: hex.EncodeToString(sum[:])}},
		ExternalRefs:          []SPDXExternalRef{purl(bi.Main.Path, bi.Main.Version)},
	})
	doc.Relationships = append(doc.Relationships, SPDXRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", mainID})
	for i, d := range bi.Deps {
		name, version, sumText, source := d.Path, d.Version, d.Sum, ""
		if r := d.Replace; r != nil {
			version, sumText = r.Version, r.Sum
			if modfile.IsDirectoryPath(r.Path) {
				source = "replaced by the directory " + r.Path
			} else {
				// The binary links the replacement: name it, so that a
				// scanner matching the SBOM against vulnerability data
				// sees the code that is there, not the module it replaces.
				name = r.Path
				source = "replaces " + strings.TrimSpace(d.Path+" "+d.Version)
			}
		}
		p := SPDXPackage{
			Name:                  name,
			SPDXID:                spdxID(i+1, name),
			VersionInfo:           version,
			DownloadLocation:      "NOASSERTION",
			LicenseConcluded:      "NOASSERTION",
			LicenseDeclared:       "NOASSERTION",
			CopyrightText:         "NOASSERTION",
			PrimaryPackagePurpose: "LIBRARY",
			SourceInfo:            source,
			ExternalRefs:          []SPDXExternalRef{purl(name, version)},
		}
		if sumText != "" {
			p.Comment = "go.sum " + sumText
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, SPDXRelationship{mainID, "DEPENDS_ON", p.SPDXID})
	}
	stdID := spdxID(len(bi.Deps)+1, StdlibPackage)
	doc.Packages = append(doc.Packages, SPDXPackage{
		Name:                  StdlibPackage,
		SPDXID:                stdID,
		VersionInfo:           bi.GoVersion,
		DownloadLocation:      "NOASSERTION",
		LicenseConcluded:      "NOASSERTION",
		LicenseDeclared:       "NOASSERTION",
		CopyrightText:         "NOASSERTION",
		PrimaryPackagePurpose: "LIBRARY",
		ExternalRefs:          []SPDXExternalRef{purl(StdlibPackage, bi.GoVersion)},
	})
	doc.Relationships = append(doc.Relationships, SPDXRelationship{mainID, "DEPENDS_ON", stdID})
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// buildSettings summarises the build's toolchain and settings.
func buildSettings(bi *buildinfo.BuildInfo) string {
	parts := []string{bi.GoVersion}
	for _, s := range bi.Settings {
		parts = append(parts, s.Key+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxID returns a unique SPDX identifier for the i'th package.
func spdxID(i int, modPath string) string {
	return fmt.Sprintf("SPDXRef-Package-%d-%s", i, strings.Trim(spdxIDUnsafe.ReplaceAllString(modPath, "-"), "-"))
}

// purl returns the package URL of a Go module version.
func purl(modPath, version string) SPDXExternalRef {
	loc := "pkg:golang/" + modPath
	if version != "" && version != "(devel)" {
		loc += "@" + version
	}
	return SPDXExternalRef{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: loc}
}
