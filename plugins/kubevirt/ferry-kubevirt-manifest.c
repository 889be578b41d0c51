/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The target VM description (vm_spec) turned into a kubevirt.io/v1
 * VirtualMachine and one cdi.kubevirt.io/v1beta1 DataVolume per disk, as
 * Forklift builds them: Forklift's labels and annotations, runStrategy from
 * targetPowerState, SATA disks and E1000E NICs in raw-copy compatibility
 * mode, and PVC requests sized by Forklift's rules (forklift.md §7).
 */

#include "config.h"

#include <ferry-plugin-sdk.h>
#include <string.h>

#include "ferry-kubevirt-manifest.h"

#define MIB (G_GUINT64_CONSTANT(1) << 20)
#define PPM_ONE 1000000u

/* provider types whose guests Forklift converts (RequiresConversion) */
static const char *const disk_buses[] = {"virtio", "sata", "scsi"};
static const char *const nic_models[] = {"virtio", "e1000e", "e1000",  "igb",
					 "rtl8139", "ne2k_pci", "pcnet"};
static const char *const volume_modes[] = {"Filesystem", "Block"};
static const char *const access_modes[] = {"ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany",
					   "ReadWriteOncePod"};
static const char *const disk_formats[] = {"raw", "qcow2"};

static gboolean
ferry_kubevirt_strv_contains(const char *const *strv, gsize n, const char *value)
{
	for (gsize i = 0; i < n; i++) {
		if (g_strcmp0(strv[i], value) == 0)
			return TRUE;
	}
	return FALSE;
}

#define STRV_CONTAINS(strv, value) ferry_kubevirt_strv_contains(strv, G_N_ELEMENTS(strv), value)

static char *
ferry_kubevirt_strv_join(const char *const *strv, gsize n)
{
	g_autoptr(GString) text = g_string_new(NULL);
	for (gsize i = 0; i < n; i++)
		g_string_append_printf(text, "%s%s", i > 0 ? ", " : "", strv[i]);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* --- sizing --- */

void
ferry_kubevirt_sizing_init(FerryKubevirtSizing *sizing)
{
	sizing->filesystem_overhead_ppm = FERRY_KUBEVIRT_DEFAULT_FILESYSTEM_OVERHEAD_PPM;
	sizing->block_overhead = 0;
}

/*
 * ferry_kubevirt_parse_percent:
 * @text: a percentage such as `10`, `5.5` or `5.5%`
 *
 * Parses the filesystem overhead, which must be at least 0 and below 100.
 */
gboolean
ferry_kubevirt_parse_percent(const char *text, guint32 *ppm, GError **error)
{
	guint64 value = 0;
	guint fraction_digits = 0;
	gboolean seen_digit = FALSE;
	gboolean seen_point = FALSE;
	const char *p;

	for (p = text; *p != '\0' && *p != '%'; p++) {
		if (*p == '.' && !seen_point) {
			seen_point = TRUE;
			continue;
		}
		if (!g_ascii_isdigit(*p) || value > 1000000 || fraction_digits >= 4)
			break;
		value = value * 10 + (guint64)(*p - '0');
		seen_digit = TRUE;
		if (seen_point)
			fraction_digits++;
	}
	if (*p == '%')
		p++;
	if (!seen_digit || *p != '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a percentage; write a number from 0 to 99.9999 such as "
			    "10 or 5.5",
			    text);
		return FALSE;
	}
	for (; fraction_digits < 4; fraction_digits++)
		value *= 10;
	/* value is in 1/10000 %, i.e. ppm / 100 * 100 */
	if (value >= 100 * 10000) {
		g_set_error(
			error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			"a filesystem overhead of %s leaves no room for data; use less than 100%%",
			text);
		return FALSE;
	}
	*ppm = (guint32)(value);
	return TRUE;
}

static const struct {
	const char *suffix;
	guint64 factor;
} quantity_suffixes[] = {
    {"Ki", G_GUINT64_CONSTANT(1) << 10}, {"Mi", G_GUINT64_CONSTANT(1) << 20},
    {"Gi", G_GUINT64_CONSTANT(1) << 30}, {"Ti", G_GUINT64_CONSTANT(1) << 40},
    {"Pi", G_GUINT64_CONSTANT(1) << 50}, {"Ei", G_GUINT64_CONSTANT(1) << 60},
    {"k", G_GUINT64_CONSTANT(1000)},     {"M", G_GUINT64_CONSTANT(1000000)},
    {"G", G_GUINT64_CONSTANT(1000000000)}, {"T", G_GUINT64_CONSTANT(1000000000000)},
    {"P", G_GUINT64_CONSTANT(1000000000000000)}, {"E", G_GUINT64_CONSTANT(1000000000000000000)},
    {"", 1},
};

/*
 * ferry_kubevirt_parse_quantity:
 * @text: a whole number of bytes with an optional Kubernetes suffix
 *   (`1Gi`, `512Mi`, `100M`, `4096`)
 */
gboolean
ferry_kubevirt_parse_quantity(const char *text, guint64 *bytes, GError **error)
{
	guint64 number = 0;
	const char *p = text;

	for (; g_ascii_isdigit(*p); p++) {
		if (number > G_MAXUINT64 / 10)
			break;
		number = number * 10 + (guint64)(*p - '0');
	}
	if (p != text) {
		for (guint i = 0; i < G_N_ELEMENTS(quantity_suffixes); i++) {
			if (g_strcmp0(p, quantity_suffixes[i].suffix) != 0)
				continue;
			if (!g_uint64_checked_mul(bytes, number, quantity_suffixes[i].factor) ||
			    *bytes > G_MAXINT64)
				break;
			return TRUE;
		}
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "'%s' is not a size; write a whole number of bytes with an optional suffix "
		    "Ki, Mi, Gi, Ti (or k, M, G, T), e.g. 1Gi",
		    text);
	return FALSE;
}

/* the canonical Kubernetes form: the largest binary suffix that divides exactly */
char *
ferry_kubevirt_format_quantity(guint64 bytes)
{
	static const char *const suffixes[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
	for (guint i = 0; i < G_N_ELEMENTS(suffixes) && bytes > 0; i++) {
		guint shift = 10 * (G_N_ELEMENTS(suffixes) - i);
		guint64 unit = G_GUINT64_CONSTANT(1) << shift;
		if (bytes % unit == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT "%s", bytes / unit,
					       suffixes[i]);
	}
	return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

/*
 * ferry_kubevirt_request_size:
 * @capacity: the disk's guest-visible size
 * @volume_mode: (nullable): `Block`, `Filesystem` or empty (the storage
 *   profile decides; sized as Filesystem, which is never too small)
 *
 * Forklift's PVC size: the capacity rounded up to 1 MiB; for Filesystem
 * mode divided by (1 - overhead) and rounded up to a byte; for Block mode
 * plus the block overhead.
 */
gboolean
ferry_kubevirt_request_size(guint64 capacity,
			    const char *volume_mode,
			    const FerryKubevirtSizing *sizing,
			    guint64 *size,
			    GError **error)
{
	guint64 aligned;
	guint64 divisor;
	guint64 quotient;
	guint64 remainder;
	guint64 whole;

	if (capacity > G_MAXINT64 - MIB) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "a capacity of %" G_GUINT64_FORMAT " bytes is too large", capacity);
		return FALSE;
	}
	aligned = (capacity + MIB - 1) / MIB * MIB;
	if (g_strcmp0(volume_mode, "Block") == 0) {
		if (!g_uint64_checked_add(size, aligned, sizing->block_overhead) ||
		    *size > G_MAXINT64) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
					    "the block overhead makes the request too large");
			return FALSE;
		}
		return TRUE;
	}
	/* ceil(aligned / (1 - overhead)) in integers: aligned = q·d + r */
	divisor = PPM_ONE - sizing->filesystem_overhead_ppm;
	quotient = aligned / divisor;
	remainder = aligned % divisor;
	if (!g_uint64_checked_mul(&whole, quotient, PPM_ONE) ||
	    !g_uint64_checked_add(size, whole, (remainder * PPM_ONE + divisor - 1) / divisor) ||
	    *size > G_MAXINT64) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "the filesystem overhead makes the request too large");
		return FALSE;
	}
	return TRUE;
}

/* --- names --- */

/* a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters */
gboolean
ferry_kubevirt_check_dns1123_label(const char *what, const char *name, GError **error)
{
	if (ferry_naming_is_dns1123_label(name))
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "%s '%s' is not a DNS-1123 label: use at most 63 lower-case letters, digits "
		    "and '-', starting and ending with a letter or digit",
		    what, name != NULL ? name : "");
	return FALSE;
}

/* a DNS-1123 subdomain: labels joined by '.', at most @max_length characters */
gboolean
ferry_kubevirt_check_dns1123_subdomain(const char *what,
				       const char *name,
				       gsize max_length,
				       GError **error)
{
	if (ferry_naming_is_dns1123_subdomain(name) && strlen(name) <= max_length)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "%s '%s' is not a DNS-1123 name: use at most %" G_GSIZE_FORMAT
		    " lower-case letters, digits, '-' and '.', each part starting and ending with "
		    "a letter or digit",
		    what, name != NULL ? name : "", max_length);
	return FALSE;
}

/* the name part of a label key, and a label value: [A-Za-z0-9._-], alphanumeric ends */
static gboolean
ferry_kubevirt_is_label_name(const char *name, gsize length)
{
	if (length == 0 || length > 63)
		return FALSE;
	for (gsize i = 0; i < length; i++) {
		if (!g_ascii_isalnum(name[i]) && strchr("-_.", name[i]) == NULL)
			return FALSE;
	}
	return g_ascii_isalnum(name[0]) && g_ascii_isalnum(name[length - 1]);
}

static gboolean
ferry_kubevirt_check_key(const char *kind, const char *key, GError **error)
{
	const char *slash = strrchr(key, '/');
	const char *name = slash != NULL ? slash + 1 : key;
	gboolean ok = ferry_kubevirt_is_label_name(name, strlen(name));

	if (ok && slash != NULL) {
		g_autofree char *prefix = g_strndup(key, (gsize)(slash - key));
		ok = ferry_kubevirt_check_dns1123_subdomain("prefix", prefix, 253, NULL);
	}
	if (ok)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "%s key '%s' is not valid: use an optional DNS prefix and '/', then at most 63 "
		    "letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
		    kind, key);
	return FALSE;
}

/* a Kubernetes label: a qualified key and a value of at most 63 characters */
gboolean
ferry_kubevirt_check_label(const char *key, const char *value, GError **error)
{
	gsize length = strlen(value);
	if (!ferry_kubevirt_check_key("label", key, error))
		return FALSE;
	if (length == 0 || ferry_kubevirt_is_label_name(value, length))
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "label %s has the value '%s', which is not valid: use at most 63 letters, "
		    "digits, '-', '_' or '.', starting and ending with a letter or digit",
		    key, value);
	return FALSE;
}

/* --- reading the VM description ---
 *
 * What FerryVmSpec names (name, CPU, memory, firmware, disks, NICs…) comes
 * from its accessors, which have checked the types. The members only
 * KubeVirt reads (labels, targetAffinity, bootDisk, a disk's volumeMode…)
 * are listed below, their types checked once, and read from the document
 * with json-glib. An empty string means "not said", as in the engine's
 * vm_spec (a StorageMap without a storage class gives `storageClass: ""`).
 */

typedef enum {
	EXTRA_STRING,
	EXTRA_BOOLEAN,
	EXTRA_INTEGER,
	EXTRA_OBJECT,
} FerryKubevirtExtraType;

typedef struct {
	const char *member;
	FerryKubevirtExtraType type;
} FerryKubevirtExtra;

static const FerryKubevirtExtra spec_extras[] = {
    {"planUID", EXTRA_STRING},
    {"restorePowerState", EXTRA_STRING},
    {"skipGuestConversion", EXTRA_BOOLEAN},
    {"useCompatibilityMode", EXTRA_BOOLEAN},
    {"bootDisk", EXTRA_INTEGER},
    {"labels", EXTRA_OBJECT},
    {"annotations", EXTRA_OBJECT},
    {"targetLabels", EXTRA_OBJECT},
    {"targetNodeSelector", EXTRA_OBJECT},
    {"targetAffinity", EXTRA_OBJECT},
};
static const FerryKubevirtExtra source_extras[] = {{"needsConversion", EXTRA_BOOLEAN}};
static const FerryKubevirtExtra source_vm_extras[] = {{"id", EXTRA_STRING},
						      {"name", EXTRA_STRING}};
static const FerryKubevirtExtra firmware_extras[] = {{"serial", EXTRA_STRING}};
static const FerryKubevirtExtra disk_extras[] = {{"source", EXTRA_STRING},
						 {"volumeMode", EXTRA_STRING},
						 {"accessMode", EXTRA_STRING},
						 {"volumeName", EXTRA_STRING}};
static const FerryKubevirtExtra nic_extras[] = {{"interfaceName", EXTRA_STRING}};

G_GNUC_PRINTF(4, 5)
static gboolean
ferry_kubevirt_fail(FerryKubevirtTarget *target,
		    GError **error,
		    FerryError code,
		    const char *format,
		    ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, FERRY_ERROR, code, "%s: %s", target->display, message);
	return FALSE;
}

static gboolean
ferry_kubevirt_wrap(FerryKubevirtTarget *target, GError **error, GError *local_error)
{
	g_autoptr(GError) owned = local_error;
	return ferry_kubevirt_fail(target, error, (FerryError)owned->code, "%s", owned->message);
}

/* the members of @extras in @object (nullable) have their types: INVALID_DATA naming one */
static gboolean
ferry_kubevirt_check_extras(FerryKubevirtTarget *target,
			    JsonObject *object,
			    const char *path,
			    const FerryKubevirtExtra *extras,
			    gsize n_extras,
			    GError **error)
{
	static const GType value_types[] = {
	    [EXTRA_STRING] = G_TYPE_STRING,
	    [EXTRA_BOOLEAN] = G_TYPE_BOOLEAN,
	    [EXTRA_INTEGER] = G_TYPE_INT64,
	};
	static const char *const expected[] = {
	    [EXTRA_STRING] = "a string",
	    [EXTRA_BOOLEAN] = "true or false",
	    [EXTRA_INTEGER] = "a whole number",
	    [EXTRA_OBJECT] = "an object",
	};

	for (gsize i = 0; object != NULL && i < n_extras; i++) {
		JsonNode *node = json_object_get_member(object, extras[i].member);
		FerryKubevirtExtraType type = extras[i].type;
		gboolean holds;

		if (node == NULL || JSON_NODE_HOLDS_NULL(node))
			continue;
		if (type == EXTRA_OBJECT)
			holds = JSON_NODE_HOLDS_OBJECT(node);
		else
			holds = JSON_NODE_HOLDS_VALUE(node) &&
				json_node_get_value_type(node) == value_types[type];
		if (holds)
			continue;
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					   "%s%s must be %s", path, extras[i].member,
					   expected[type]);
	}
	return TRUE;
}

#define CHECK_EXTRAS(target, object, path, extras, error)                                        \
	ferry_kubevirt_check_extras(target, object, path, extras, G_N_ELEMENTS(extras), error)

/* @value, or NULL when it is empty */
static const char *
ferry_kubevirt_said(const char *value)
{
	return value != NULL && *value != '\0' ? value : NULL;
}

/* a string member of @object (nullable), NULL when absent, null or empty */
static const char *
ferry_kubevirt_string_member(JsonObject *object, const char *member)
{
	return object != NULL ? ferry_kubevirt_said(json_object_get_string_member_with_default(
				    object, member, NULL))
			      : NULL;
}

/* KubeVirt's choices for @member (NULL: not said, allowed) */
static gboolean
ferry_kubevirt_check_choice(FerryKubevirtTarget *target,
			    const char *path,
			    const char *member,
			    const char *value,
			    const char *const *choices,
			    gsize n_choices,
			    GError **error)
{
	g_autofree char *allowed = NULL;
	if (value == NULL || ferry_kubevirt_strv_contains(choices, n_choices, value))
		return TRUE;
	allowed = ferry_kubevirt_strv_join(choices, n_choices);
	return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
				   "%s%s '%s' is not supported; use one of %s", path, member, value,
				   allowed);
}

#define CHECK_CHOICE(target, path, member, value, choices, error)                                \
	ferry_kubevirt_check_choice(target, path, member, value, choices,                        \
				    G_N_ELEMENTS(choices), error)

/* copies a string map (labels, annotations, node selector) into @map */
static gboolean
ferry_kubevirt_copy_string_map(FerryKubevirtTarget *target,
			       JsonObject *source,
			       const char *member,
			       const char *kind,
			       JsonObject *map,
			       GError **error)
{
	g_autoptr(GList) members = NULL;
	if (source == NULL)
		return TRUE;
	members = json_object_get_members(source);
	for (GList *l = members; l != NULL; l = l->next) {
		const char *key = l->data;
		JsonNode *node = json_object_get_member(source, key);
		const char *value;
		g_autoptr(GError) local_error = NULL;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
						   "%s.%s must be a string", member, key);
		value = json_node_get_string(node);
		if (g_strcmp0(kind, "annotation") == 0
			? !ferry_kubevirt_check_key(kind, key, &local_error)
			: !ferry_kubevirt_check_label(key, value, &local_error))
			return ferry_kubevirt_wrap(target, error, g_steal_pointer(&local_error));
		json_object_set_string_member(map, key, value);
	}
	return TRUE;
}

/* --- building --- */

static JsonObject *
ferry_kubevirt_add_object(JsonObject *parent, const char *member)
{
	JsonObject *child = json_object_new();
	json_object_set_object_member(parent, member, child);
	return child;
}

static JsonArray *
ferry_kubevirt_add_array(JsonObject *parent, const char *member)
{
	JsonArray *child = json_array_new();
	json_object_set_array_member(parent, member, child);
	return child;
}

static JsonObject *
ferry_kubevirt_append_object(JsonArray *array)
{
	JsonObject *child = json_object_new();
	json_array_add_object_element(array, child);
	return child;
}

static void
ferry_kubevirt_disk_free(gpointer data)
{
	FerryKubevirtDisk *disk = data;
	g_free(disk->name);
	g_free(disk->id);
	g_free(disk->format);
	g_free(disk->file_name);
	g_free(disk->manifest_name);
	if (disk->data_volume != NULL)
		json_node_unref(disk->data_volume);
	if (disk->claim != NULL)
		json_node_unref(disk->claim);
	g_free(disk->volume_mode);
	g_free(disk);
}

static void
ferry_kubevirt_lun_free(gpointer data)
{
	FerryKubevirtLun *lun = data;
	g_free(lun->name);
	g_free(lun->pv_name);
	g_free(lun->id);
	if (lun->volume != NULL)
		json_node_unref(lun->volume);
	if (lun->claim != NULL)
		json_node_unref(lun->claim);
	g_free(lun);
}

void
ferry_kubevirt_target_free(FerryKubevirtTarget *target)
{
	if (target == NULL)
		return;
	if (target->luns != NULL)
		g_ptr_array_unref(target->luns);
	g_free(target->name);
	g_free(target->name_space);
	g_free(target->display);
	g_free(target->run_strategy);
	g_ptr_array_unref(target->disks);
	if (target->vm != NULL)
		json_node_unref(target->vm);
	g_free(target);
}

/* Forklift's system labels: plan, migration, vmID; they win over user labels */
static gboolean
ferry_kubevirt_system_labels(FerryKubevirtTarget *target,
			     FerryVmSpec *spec,
			     JsonObject *labels,
			     GError **error)
{
	const char *plan = ferry_kubevirt_said(ferry_vm_spec_get_plan(spec));
	const char *plan_uid =
	    ferry_kubevirt_string_member(ferry_vm_spec_get_json(spec), "planUID");
	const char *vm_id = ferry_kubevirt_string_member(ferry_vm_spec_get_source_vm(spec), "id");
	struct {
		const char *key;
		const char *value;
	} pairs[3];

	pairs[0].key = "migration";
	pairs[0].value = ferry_kubevirt_said(ferry_vm_spec_get_migration(spec));
	pairs[1].key = "plan";
	pairs[1].value = plan_uid != NULL ? plan_uid : plan;
	pairs[2].key = "vmID";
	pairs[2].value = vm_id;
	for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
		g_autoptr(GError) local_error = NULL;
		if (pairs[i].value == NULL)
			continue;
		if (!ferry_kubevirt_check_label(pairs[i].key, pairs[i].value, &local_error))
			return ferry_kubevirt_wrap(target, error, g_steal_pointer(&local_error));
		json_object_set_string_member(labels, pairs[i].key, pairs[i].value);
	}
	return TRUE;
}

static JsonObject *
ferry_kubevirt_metadata(JsonObject *manifest, const char *name, const char *name_space)
{
	JsonObject *metadata = ferry_kubevirt_add_object(manifest, "metadata");
	json_object_set_string_member(metadata, "name", name);
	json_object_set_string_member(metadata, "namespace", name_space);
	return metadata;
}

/*
 * The PersistentVolumeClaim cluster mode writes the disk into: the
 * DataVolume's labels, annotations and storage request, without CDI. A core
 * PVC needs an access mode; ReadWriteOnce when the StorageMap names none.
 * Without a volumeMode the PVC is a Filesystem one, sized as such.
 */
static JsonNode *
ferry_kubevirt_build_claim(FerryKubevirtTarget *target,
			   FerryKubevirtDisk *disk,
			   JsonObject *system_labels,
			   const char *source,
			   const char *index_text,
			   const char *storage_class,
			   const char *volume_mode,
			   const char *access_mode,
			   const char *quantity)
{
	JsonObject *manifest = json_object_new();
	JsonNode *node = json_node_init_object(json_node_alloc(), manifest);
	JsonObject *metadata;
	JsonObject *annotations;
	JsonObject *spec;

	json_object_unref(manifest);
	json_object_set_string_member(manifest, "apiVersion", "v1");
	json_object_set_string_member(manifest, "kind", "PersistentVolumeClaim");
	metadata = ferry_kubevirt_metadata(manifest, disk->name, target->name_space);
	if (json_object_get_size(system_labels) > 0)
		json_object_set_object_member(metadata, "labels",
					      json_object_ref(system_labels));
	annotations = ferry_kubevirt_add_object(metadata, "annotations");
	if (source != NULL)
		json_object_set_string_member(annotations, "forklift.konveyor.io/disk-source",
					      source);
	json_object_set_string_member(annotations, "forklift.konveyor.io/disk-index", index_text);
	spec = ferry_kubevirt_add_object(manifest, "spec");
	json_array_add_string_element(ferry_kubevirt_add_array(spec, "accessModes"),
				      access_mode != NULL ? access_mode : "ReadWriteOnce");
	if (storage_class != NULL)
		json_object_set_string_member(spec, "storageClassName", storage_class);
	if (volume_mode != NULL)
		json_object_set_string_member(spec, "volumeMode", volume_mode);
	json_object_set_string_member(
	    ferry_kubevirt_add_object(ferry_kubevirt_add_object(spec, "resources"), "requests"),
	    "storage", quantity);
	return node;
}

static gboolean
ferry_kubevirt_build_disk(FerryKubevirtTarget *target,
			  FerryVmDisk *source_disk,
			  guint index,
			  JsonObject *system_labels,
			  const FerryKubevirtSizing *sizing,
			  const char *default_format,
			  GError **error)
{
	g_autofree char *path = g_strdup_printf("disks[%u].", index);
	FerryKubevirtDisk *disk = g_new0(FerryKubevirtDisk, 1);
	JsonObject *disk_json = ferry_vm_disk_get_json(source_disk);
	const char *name = ferry_kubevirt_said(ferry_vm_disk_get_name(source_disk));
	const char *id = ferry_kubevirt_said(ferry_vm_disk_get_id(source_disk));
	const char *format = ferry_kubevirt_said(ferry_vm_disk_get_format(source_disk));
	const char *storage_class =
	    ferry_kubevirt_said(ferry_vm_disk_get_storage_class(source_disk));
	guint64 capacity = ferry_vm_disk_get_capacity(source_disk);
	const char *source = ferry_kubevirt_string_member(disk_json, "source");
	const char *volume_mode = ferry_kubevirt_string_member(disk_json, "volumeMode");
	const char *access_mode = ferry_kubevirt_string_member(disk_json, "accessMode");
	g_autofree char *quantity = NULL;
	g_autofree char *index_text = g_strdup_printf("%u", index);
	g_autoptr(GError) local_error = NULL;
	JsonObject *manifest;
	JsonObject *metadata;
	JsonObject *annotations;
	JsonObject *spec;
	JsonObject *storage;

	g_ptr_array_add(target->disks, disk);
	if (format == NULL)
		format = default_format;
	if (source == NULL)
		source = id;
	if (!CHECK_CHOICE(target, path, "format", format, disk_formats, error) ||
	    !CHECK_CHOICE(target, path, "volumeMode", volume_mode, volume_modes, error) ||
	    !CHECK_CHOICE(target, path, "accessMode", access_mode, access_modes, error))
		return FALSE;
	if (capacity == 0)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "disk %u (%s) has no capacity; the inventory must give "
					   "its size in bytes",
					   index, id != NULL ? id : "no id");
	if (!ferry_kubevirt_check_dns1123_label("disk name", name, &local_error) ||
	    (storage_class != NULL &&
	     !ferry_kubevirt_check_dns1123_subdomain("storage class", storage_class, 253,
						     &local_error)))
		return ferry_kubevirt_wrap(target, error, g_steal_pointer(&local_error));
	for (guint i = 0; i < index; i++) {
		FerryKubevirtDisk *other = g_ptr_array_index(target->disks, i);
		if (g_strcmp0(other->name, name) == 0)
			return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
						   "disks %u and %u are both named '%s'; disk "
						   "names must be unique",
						   i, index, name);
	}
	disk->name = g_strdup(name);
	disk->id = g_strdup(id);
	disk->format = g_strdup(format);
	disk->capacity = capacity;
	disk->populated = MIN(ferry_vm_disk_get_populated_size(source_disk), capacity);
	disk->file_name =
	    g_strdup_printf("%s.%s", name, g_strcmp0(format, "qcow2") == 0 ? "qcow2" : "img");
	disk->manifest_name = g_strdup_printf("dv-%s.yaml", name);
	if (!ferry_kubevirt_request_size(disk->capacity, volume_mode, sizing, &disk->request_size,
					 &local_error))
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "disk %s: %s", name, local_error->message);

	manifest = json_object_new();
	disk->data_volume = json_node_init_object(json_node_alloc(), manifest);
	json_object_unref(manifest);
	json_object_set_string_member(manifest, "apiVersion", "cdi.kubevirt.io/v1beta1");
	json_object_set_string_member(manifest, "kind", "DataVolume");
	metadata = ferry_kubevirt_metadata(manifest, name, target->name_space);
	if (json_object_get_size(system_labels) > 0)
		json_object_set_object_member(metadata, "labels",
					      json_object_ref(system_labels));
	annotations = ferry_kubevirt_add_object(metadata, "annotations");
	if (source != NULL)
		json_object_set_string_member(annotations, "forklift.konveyor.io/disk-source",
					      source);
	json_object_set_string_member(annotations, "forklift.konveyor.io/disk-index", index_text);
	/* lets virtctl upload into WaitForFirstConsumer storage classes */
	json_object_set_string_member(annotations,
				      "cdi.kubevirt.io/storage.bind.immediate.requested", "true");
	spec = ferry_kubevirt_add_object(manifest, "spec");
	ferry_kubevirt_add_object(ferry_kubevirt_add_object(spec, "source"), "upload");
	storage = ferry_kubevirt_add_object(spec, "storage");
	if (storage_class != NULL)
		json_object_set_string_member(storage, "storageClassName", storage_class);
	if (volume_mode != NULL)
		json_object_set_string_member(storage, "volumeMode", volume_mode);
	if (access_mode != NULL)
		json_array_add_string_element(ferry_kubevirt_add_array(storage, "accessModes"),
					      access_mode);
	quantity = ferry_kubevirt_format_quantity(disk->request_size);
	json_object_set_string_member(
	    ferry_kubevirt_add_object(ferry_kubevirt_add_object(storage, "resources"), "requests"),
	    "storage", quantity);
	disk->volume_mode = g_strdup(volume_mode);
	disk->claim = ferry_kubevirt_build_claim(target, disk, system_labels, source, index_text,
						 storage_class, volume_mode, access_mode, quantity);
	return TRUE;
}

/* the `iscsi` or `fc` source of a LUN's PersistentVolume, checked */
static JsonObject *
ferry_kubevirt_lun_source(FerryKubevirtTarget *target,
			  JsonObject *lun,
			  const char *path,
			  const char **kind,
			  GError **error)
{
	JsonObject *iscsi = ferry_json_get_object(lun, "iscsi");
	JsonObject *fc = ferry_json_get_object(lun, "fc");
	JsonObject *out = json_object_new();

	if ((iscsi == NULL) == (fc == NULL)) {
		json_object_unref(out);
		ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
				    "%siscsi and %sfc: exactly one must be given", path, path);
		return NULL;
	}
	if (iscsi != NULL) {
		const char *portal = ferry_json_get_string(iscsi, "targetPortal");
		const char *iqn = ferry_json_get_string(iscsi, "iqn");
		JsonNode *number = json_object_get_member(iscsi, "lun");
		if (portal == NULL || *portal == '\0' || iqn == NULL || *iqn == '\0' ||
		    number == NULL || !JSON_NODE_HOLDS_VALUE(number) ||
		    json_node_get_value_type(number) != G_TYPE_INT64 ||
		    json_node_get_int(number) < 0) {
			json_object_unref(out);
			ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					    "%siscsi needs targetPortal, iqn and lun (a whole "
					    "number of at least 0)",
					    path);
			return NULL;
		}
		json_object_set_string_member(out, "targetPortal", portal);
		json_object_set_string_member(out, "iqn", iqn);
		json_object_set_int_member(out, "lun", json_node_get_int(number));
		*kind = "iscsi";
	} else {
		JsonArray *wwids = ferry_json_get_array(fc, "wwids");
		JsonArray *copy = json_array_new();
		for (guint i = 0; wwids != NULL && i < json_array_get_length(wwids); i++) {
			JsonNode *node = json_array_get_element(wwids, i);
			if (!JSON_NODE_HOLDS_VALUE(node) ||
			    json_node_get_value_type(node) != G_TYPE_STRING ||
			    *json_node_get_string(node) == '\0')
				continue;
			json_array_add_string_element(copy, json_node_get_string(node));
		}
		json_object_set_array_member(out, "wwids", copy);
		if (json_array_get_length(copy) == 0) {
			json_object_unref(out);
			ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					    "%sfc needs wwids, a list of the LUN's WWIDs", path);
			return NULL;
		}
		*kind = "fc";
	}
	json_object_set_boolean_member(out, "readOnly", FALSE);
	return out;
}

/* what marks a LUN's PV and claim: its source disk, and that it is a LUN
 * (which Forklift's progress skips) */
static void
ferry_kubevirt_lun_annotations(JsonObject *metadata, const char *id)
{
	JsonObject *annotations = ferry_kubevirt_add_object(metadata, "annotations");
	json_object_set_string_member(annotations, "forklift.konveyor.io/disk-source", id);
	json_object_set_string_member(annotations, "lun", "true");
}

/*
 * A direct LUN (vm_spec `luns[]`), attached in place as Forklift does for
 * oVirt's: a static PersistentVolume naming the LUN (iSCSI or Fibre Channel),
 * Block mode so that nothing formats it, ReadWriteMany so that the VM can
 * live-migrate, reclaim policy Retain and no storage class; and a claim of
 * the same size bound to it by name. The PV is pre-bound to the claim
 * (claimRef) so that no other claim can take the LUN.
 */
static gboolean
ferry_kubevirt_build_lun(FerryKubevirtTarget *target,
			 JsonObject *lun_json,
			 guint index,
			 JsonObject *system_labels,
			 GError **error)
{
	g_autofree char *path = g_strdup_printf("luns[%u].", index);
	FerryKubevirtLun *lun = g_new0(FerryKubevirtLun, 1);
	const char *id = ferry_kubevirt_string_member(lun_json, "id");
	const char *name = ferry_kubevirt_string_member(lun_json, "name");
	JsonNode *capacity_node = json_object_get_member(lun_json, "capacity");
	const char *kind = NULL;
	JsonObject *source;
	g_autofree char *quantity = NULL;
	g_autoptr(GError) local_error = NULL;
	JsonObject *manifest;
	JsonObject *metadata;
	JsonObject *spec;
	JsonObject *claim_ref;

	g_ptr_array_add(target->luns, lun);
	if (id == NULL)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					   "%sid must be the source disk's id", path);
	if (name == NULL)
		name = id;
	if (capacity_node == NULL || !JSON_NODE_HOLDS_VALUE(capacity_node) ||
	    json_node_get_value_type(capacity_node) != G_TYPE_INT64 ||
	    json_node_get_int(capacity_node) <= 0)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					   "%scapacity must be the LUN's size in bytes", path);
	if (!ferry_kubevirt_check_dns1123_label("direct LUN claim name", name, &local_error) ||
	    !ferry_kubevirt_check_label("volume", id, &local_error))
		return ferry_kubevirt_wrap(target, error, g_steal_pointer(&local_error));
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		if (g_strcmp0(disk->name, name) == 0)
			return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
						   "disk %u and direct LUN %u are both named '%s'",
						   i, index, name);
	}
	source = ferry_kubevirt_lun_source(target, lun_json, path, &kind, error);
	if (source == NULL)
		return FALSE;
	lun->id = g_strdup(id);
	lun->name = g_strdup(name);
	/* PVs live cluster-wide: the namespace keeps two targets' apart */
	lun->pv_name = g_strdup_printf("%s-%s", target->name_space, name);
	quantity = ferry_kubevirt_format_quantity((guint64)json_node_get_int(capacity_node));

	manifest = json_object_new();
	lun->volume = json_node_init_object(json_node_alloc(), manifest);
	json_object_unref(manifest);
	json_object_set_string_member(manifest, "apiVersion", "v1");
	json_object_set_string_member(manifest, "kind", "PersistentVolume");
	metadata = ferry_kubevirt_add_object(manifest, "metadata");
	json_object_set_string_member(metadata, "name", lun->pv_name);
	{
		JsonObject *labels = json_object_new();
		g_autoptr(GList) members = json_object_get_members(system_labels);
		for (GList *l = members; l != NULL; l = l->next)
			json_object_set_string_member(
			    labels, l->data, json_object_get_string_member(system_labels, l->data));
		json_object_set_string_member(labels, "volume", id);
		json_object_set_object_member(metadata, "labels", labels);
	}
	ferry_kubevirt_lun_annotations(metadata, id);
	spec = ferry_kubevirt_add_object(manifest, "spec");
	json_object_set_string_member(ferry_kubevirt_add_object(spec, "capacity"), "storage",
				      quantity);
	json_array_add_string_element(ferry_kubevirt_add_array(spec, "accessModes"),
				      "ReadWriteMany");
	json_object_set_string_member(spec, "persistentVolumeReclaimPolicy", "Retain");
	json_object_set_string_member(spec, "storageClassName", "");
	json_object_set_string_member(spec, "volumeMode", "Block");
	claim_ref = ferry_kubevirt_add_object(spec, "claimRef");
	json_object_set_string_member(claim_ref, "apiVersion", "v1");
	json_object_set_string_member(claim_ref, "kind", "PersistentVolumeClaim");
	json_object_set_string_member(claim_ref, "namespace", target->name_space);
	json_object_set_string_member(claim_ref, "name", name);
	json_object_set_object_member(spec, kind, source);

	manifest = json_object_new();
	lun->claim = json_node_init_object(json_node_alloc(), manifest);
	json_object_unref(manifest);
	json_object_set_string_member(manifest, "apiVersion", "v1");
	json_object_set_string_member(manifest, "kind", "PersistentVolumeClaim");
	metadata = ferry_kubevirt_metadata(manifest, name, target->name_space);
	if (json_object_get_size(system_labels) > 0)
		json_object_set_object_member(metadata, "labels",
					      json_object_ref(system_labels));
	ferry_kubevirt_lun_annotations(metadata, id);
	spec = ferry_kubevirt_add_object(manifest, "spec");
	json_array_add_string_element(ferry_kubevirt_add_array(spec, "accessModes"),
				      "ReadWriteMany");
	json_object_set_string_member(spec, "storageClassName", "");
	json_object_set_string_member(spec, "volumeMode", "Block");
	json_object_set_string_member(spec, "volumeName", lun->pv_name);
	json_object_set_string_member(
	    ferry_kubevirt_add_object(ferry_kubevirt_add_object(spec, "resources"), "requests"),
	    "storage", quantity);
	return TRUE;
}

static gboolean
ferry_kubevirt_normalize_mac(const char *mac, char out[18])
{
	if (strlen(mac) != 17)
		return FALSE;
	for (guint i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (mac[i] != ':' && mac[i] != '-')
				return FALSE;
			out[i] = ':';
		} else {
			if (!g_ascii_isxdigit(mac[i]))
				return FALSE;
			out[i] = g_ascii_tolower(mac[i]);
		}
	}
	out[17] = '\0';
	return TRUE;
}

/* VMware's paravirtual NIC names are virtio once the guest runs on KVM */
static const char *
ferry_kubevirt_nic_model(const char *model)
{
	if (model == NULL)
		return "virtio";
	if (g_ascii_strncasecmp(model, "vmxnet", 6) == 0)
		return "virtio";
	if (g_ascii_strcasecmp(model, "e1000e") == 0)
		return "e1000e";
	if (g_ascii_strcasecmp(model, "e1000") == 0)
		return "e1000";
	return model;
}


static gboolean
ferry_kubevirt_build_nics(FerryKubevirtTarget *target,
			  FerryVmSpec *spec,
			  gboolean compatibility,
			  JsonArray *interfaces,
			  JsonArray *networks,
			  GError **error)
{
	guint pod_nics = 0;
	guint emitted = 0;
	static const char *const network_types[] = {"pod", "multus", "ignored"};

	for (guint i = 0; i < ferry_vm_spec_get_n_nics(spec); i++) {
		FerryVmNic *nic = ferry_vm_spec_get_nic(spec, i);
		g_autofree char *network_path = g_strdup_printf("nics[%u].network.", i);
		g_autofree char *name = NULL;
		JsonObject *interface;
		JsonObject *network_entry;
		const char *type = ferry_kubevirt_said(ferry_vm_nic_get_network_type(nic));
		const char *mac = ferry_kubevirt_said(ferry_vm_nic_get_mac(nic));
		const char *model = ferry_kubevirt_said(ferry_vm_nic_get_model(nic));
		const char *network_name = ferry_kubevirt_said(ferry_vm_nic_get_network_name(nic));
		const char *network_namespace =
		    ferry_kubevirt_said(ferry_vm_nic_get_network_namespace(nic));
		char normalized[18];

		if (type == NULL)
			type = "pod";
		if (!CHECK_CHOICE(target, network_path, "type", type, network_types, error))
			return FALSE;
		if (g_strcmp0(type, "ignored") == 0)
			continue;
		model = compatibility ? "e1000e" : ferry_kubevirt_nic_model(model);
		if (!STRV_CONTAINS(nic_models, model)) {
			g_autofree char *allowed = ferry_kubevirt_strv_join(
			    nic_models, G_N_ELEMENTS(nic_models));
			return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
						   "NIC %u has the model '%s', which KubeVirt does "
						   "not offer; use one of %s",
						   i, model, allowed);
		}
		if (mac != NULL && !ferry_kubevirt_normalize_mac(mac, normalized))
			return ferry_kubevirt_fail(
				target, error, FERRY_ERROR_INVALID_ARGUMENT,
				"NIC %u has the MAC address '%s', which is not "
				"six hexadecimal octets such as 00:50:56:aa:bb:cc",
				i, mac);
		/* networkNameTemplate, rendered by the engine; Forklift's default */
		name = ferry_kubevirt_said(ferry_json_get_string(ferry_vm_nic_get_json(nic),
								   "interfaceName")) != NULL
			   ? g_strdup(ferry_json_get_string(ferry_vm_nic_get_json(nic),
							    "interfaceName"))
			   : g_strdup_printf("net-%u", emitted);
		emitted++;
		{
			g_autoptr(GError) name_error = NULL;
			if (!ferry_kubevirt_check_dns1123_label("interface name", name, &name_error))
				return ferry_kubevirt_wrap(target, error,
							   g_steal_pointer(&name_error));
		}
		interface = ferry_kubevirt_append_object(interfaces);
		json_object_set_string_member(interface, "name", name);
		if (mac != NULL)
			json_object_set_string_member(interface, "macAddress", normalized);
		json_object_set_string_member(interface, "model", model);
		network_entry = ferry_kubevirt_append_object(networks);
		json_object_set_string_member(network_entry, "name", name);
		if (g_strcmp0(type, "pod") == 0) {
			if (++pod_nics > 1)
				return ferry_kubevirt_fail(
				    target, error, FERRY_ERROR_INVALID_ARGUMENT,
				    "more than one NIC is mapped to the pod network; map at most "
				    "one and send the others to Multus networks in the NetworkMap");
			ferry_kubevirt_add_object(interface, "masquerade");
			ferry_kubevirt_add_object(network_entry, "pod");
		} else {
			g_autoptr(GError) local_error = NULL;
			g_autofree char *multus_name = NULL;
			if (!ferry_kubevirt_check_dns1123_subdomain("Multus network", network_name,
								    253, &local_error) ||
			    (network_namespace != NULL &&
			     !ferry_kubevirt_check_dns1123_label("Multus network namespace",
								 network_namespace, &local_error)))
				return ferry_kubevirt_fail(target, error,
							   FERRY_ERROR_INVALID_ARGUMENT,
							   "NIC %u: %s", i, local_error->message);
			multus_name =
				network_namespace != NULL
					? g_strdup_printf("%s/%s", network_namespace, network_name)
					: g_strdup(network_name);
			ferry_kubevirt_add_object(interface, "bridge");
			json_object_set_string_member(
			    ferry_kubevirt_add_object(network_entry, "multus"), "networkName",
			    multus_name);
		}
	}
	return TRUE;
}

static gboolean
ferry_kubevirt_build_domain(FerryKubevirtTarget *target,
			    FerryVmSpec *spec,
			    JsonObject *domain,
			    GError **error)
{
	JsonObject *cpu;
	JsonObject *firmware;
	JsonObject *bootloader;
	guint sockets = ferry_vm_spec_get_cpu_sockets(spec);
	guint cores = ferry_vm_spec_get_cpu_cores(spec);
	guint threads = ferry_vm_spec_get_cpu_threads(spec);
	guint64 memory = ferry_vm_spec_get_memory_mib(spec);
	gboolean efi = ferry_vm_spec_get_firmware(spec) == FERRY_FIRMWARE_EFI;
	gboolean secure_boot = ferry_vm_spec_get_secure_boot(spec);
	const char *serial = ferry_kubevirt_string_member(
	    ferry_json_get_object(ferry_vm_spec_get_json(spec), "firmware"), "serial");
	g_autofree char *guest = NULL;

	if (memory == 0)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "memoryMiB is missing or 0; the VM needs its memory "
					   "size");
	if (sockets == 0 || cores == 0 || threads == 0)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "the CPU topology %u×%u×%u has a 0; cpu.sockets, "
					   "cpu.cores and cpu.threads must be at least 1",
					   sockets, cores, threads);
	if (sockets > G_MAXINT32 || cores > G_MAXINT32 || threads > G_MAXINT32)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "the CPU topology %u×%u×%u is too large", sockets, cores,
					   threads);
	if (secure_boot && !efi)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "secure boot needs EFI firmware, but firmware.type is "
					   "'bios'");
	cpu = ferry_kubevirt_add_object(domain, "cpu");
	json_object_set_int_member(cpu, "sockets", sockets);
	json_object_set_int_member(cpu, "cores", cores);
	json_object_set_int_member(cpu, "threads", threads);
	guest = g_strdup_printf("%" G_GUINT64_FORMAT "Mi", memory);
	json_object_set_string_member(ferry_kubevirt_add_object(domain, "memory"), "guest", guest);
	firmware = ferry_kubevirt_add_object(domain, "firmware");
	bootloader = ferry_kubevirt_add_object(firmware, "bootloader");
	if (efi) {
		json_object_set_boolean_member(ferry_kubevirt_add_object(bootloader, "efi"),
					       "secureBoot", secure_boot);
	} else {
		ferry_kubevirt_add_object(bootloader, "bios");
	}
	if (serial != NULL)
		json_object_set_string_member(firmware, "serial", serial);
	/* secure boot needs SMM */
	if (secure_boot)
		json_object_set_boolean_member(
		    ferry_kubevirt_add_object(ferry_kubevirt_add_object(domain, "features"), "smm"),
		    "enabled", TRUE);
	return TRUE;
}

static gboolean
ferry_kubevirt_run_strategy(FerryKubevirtTarget *target, FerryVmSpec *spec, GError **error)
{
	const char *power = ferry_kubevirt_said(ferry_vm_spec_get_target_power_state(spec));
	const char *restore =
	    ferry_kubevirt_string_member(ferry_vm_spec_get_json(spec), "restorePowerState");
	static const char *const powers[] = {"on", "off", "auto"};
	static const char *const restores[] = {"On", "Off", "Unknown"};

	if (power == NULL)
		power = "auto";
	if (restore == NULL)
		restore = "Unknown";
	if (!CHECK_CHOICE(target, "", "targetPowerState", power, powers, error) ||
	    !CHECK_CHOICE(target, "", "restorePowerState", restore, restores, error))
		return FALSE;
	/* auto: as the source was before the migration; unknown stays off */
	if (g_strcmp0(power, "on") == 0 ||
	    (g_strcmp0(power, "auto") == 0 && g_strcmp0(restore, "On") == 0))
		target->run_strategy = g_strdup("Always");
	else
		target->run_strategy = g_strdup("Halted");
	return TRUE;
}

static gboolean
ferry_kubevirt_build_vm(FerryKubevirtTarget *target,
			FerryVmSpec *spec,
			JsonObject *system_labels,
			GError **error)
{
	JsonObject *document = ferry_vm_spec_get_json(spec);
	JsonObject *source = ferry_json_get_object(document, "source");
	JsonObject *source_vm = ferry_vm_spec_get_source_vm(spec);
	JsonObject *manifest = json_object_new();
	JsonObject *metadata;
	JsonObject *labels;
	JsonObject *annotations;
	JsonObject *vm_spec;
	JsonObject *template;
	JsonObject *template_metadata;
	JsonObject *template_labels;
	JsonObject *template_annotations;
	JsonObject *template_spec;
	JsonObject *domain;
	JsonObject *devices;
	JsonArray *disks;
	JsonArray *interfaces;
	JsonArray *networks;
	JsonArray *volumes;
	JsonObject *node_selector = ferry_json_get_object(document, "targetNodeSelector");
	JsonObject *affinity = ferry_json_get_object(document, "targetAffinity");
	gboolean needs_conversion =
	    source != NULL &&
	    json_object_get_boolean_member_with_default(source, "needsConversion", FALSE);
	const char *source_name = ferry_kubevirt_string_member(source_vm, "name");
	const char *source_id = ferry_kubevirt_string_member(source_vm, "id");
	gboolean skip_conversion =
	    json_object_get_boolean_member_with_default(document, "skipGuestConversion", FALSE);
	gboolean use_compatibility =
	    json_object_get_boolean_member_with_default(document, "useCompatibilityMode", TRUE);
	gint64 boot_disk = json_object_get_int_member_with_default(document, "bootDisk", 0);
	gboolean compatibility;
	g_autoptr(GList) system_members = NULL;
	static const char *const workload_annotations[] = {
	    "vm.kubevirt.io/flavor", "vm.kubevirt.io/os", "vm.kubevirt.io/workload"};

	target->vm = json_node_init_object(json_node_alloc(), manifest);
	json_object_unref(manifest);
	if (!ferry_kubevirt_run_strategy(target, spec, error))
		return FALSE;
	/* raw copy keeps the source's drivers: SATA and E1000E unless asked otherwise */
	compatibility = skip_conversion && use_compatibility;
	if (boot_disk < 0)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "bootDisk must be a whole number of at least 0");
	if (target->disks->len > 0 && boot_disk >= target->disks->len)
		return ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_ARGUMENT,
					   "bootDisk %" G_GINT64_FORMAT
					   " does not exist; the VM has %u disks",
					   boot_disk, target->disks->len);

	json_object_set_string_member(manifest, "apiVersion", "kubevirt.io/v1");
	json_object_set_string_member(manifest, "kind", "VirtualMachine");
	metadata = ferry_kubevirt_metadata(manifest, target->name, target->name_space);
	labels = json_object_new();
	json_object_set_object_member(metadata, "labels", labels);
	if (!ferry_kubevirt_copy_string_map(target,
					    ferry_json_get_object(document, "labels"),
					    "labels", "label", labels, error))
		return FALSE;
	/* Forklift's guestConverted label, for sources whose guests need conversion */
	if (needs_conversion)
		json_object_set_string_member(labels, "guestConverted",
					      skip_conversion ? "false" : "true");
	system_members = json_object_get_members(system_labels);
	for (GList *l = system_members; l != NULL; l = l->next)
		json_object_set_string_member(
		    labels, l->data, json_object_get_string_member(system_labels, l->data));
	annotations = json_object_new();
	json_object_set_object_member(metadata, "annotations", annotations);
	if (!ferry_kubevirt_copy_string_map(target,
					    ferry_json_get_object(document, "annotations"),
					    "annotations", "annotation", annotations, error))
		return FALSE;
	/* a renamed VM keeps its source name and id, as Forklift records them */
	if (source_name != NULL && g_strcmp0(source_name, target->name) != 0) {
		json_object_set_string_member(annotations, "openshift.io/display-name",
					      source_name);
		if (source_id != NULL)
			json_object_set_string_member(annotations, "original-ID", source_id);
	}
	if (json_object_get_size(annotations) == 0)
		json_object_remove_member(metadata, "annotations");

	vm_spec = ferry_kubevirt_add_object(manifest, "spec");
	json_object_set_string_member(vm_spec, "runStrategy", target->run_strategy);
	template = ferry_kubevirt_add_object(vm_spec, "template");
	template_metadata = ferry_kubevirt_add_object(template, "metadata");
	template_labels = ferry_kubevirt_add_object(template_metadata, "labels");
	if (!ferry_kubevirt_copy_string_map(target,
					    ferry_json_get_object(document, "targetLabels"),
					    "targetLabels", "label", template_labels, error))
		return FALSE;
	json_object_set_string_member(template_labels, "app", target->name);
	template_annotations = ferry_kubevirt_add_object(template_metadata, "annotations");
	for (guint i = 0; i < G_N_ELEMENTS(workload_annotations); i++)
		json_object_set_string_member(template_annotations, workload_annotations[i], "");

	template_spec = ferry_kubevirt_add_object(template, "spec");
	domain = ferry_kubevirt_add_object(template_spec, "domain");
	if (!ferry_kubevirt_build_domain(target, spec, domain, error))
		return FALSE;
	devices = ferry_kubevirt_add_object(domain, "devices");
	disks = ferry_kubevirt_add_array(devices, "disks");
	interfaces = ferry_kubevirt_add_array(devices, "interfaces");
	networks = ferry_kubevirt_add_array(template_spec, "networks");
	volumes = ferry_kubevirt_add_array(template_spec, "volumes");
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		/* volumeNameTemplate, rendered by the engine; Forklift's default */
		const char *given = ferry_kubevirt_said(ferry_json_get_string(
		    ferry_vm_disk_get_json(ferry_vm_spec_get_disk(spec, i)), "volumeName"));
		g_autofree char *volume_name =
		    given != NULL ? g_strdup(given) : g_strdup_printf("vol-%u", i);
		g_autofree char *path = g_strdup_printf("disks[%u].", i);
		g_autoptr(GError) name_error = NULL;

		if (!ferry_kubevirt_check_dns1123_label("volume name", volume_name, &name_error))
			return ferry_kubevirt_wrap(target, error, g_steal_pointer(&name_error));
		const char *bus =
		    ferry_kubevirt_said(ferry_vm_disk_get_bus(ferry_vm_spec_get_disk(spec, i)));
		JsonObject *disk_entry = ferry_kubevirt_append_object(disks);
		JsonObject *volume = ferry_kubevirt_append_object(volumes);

		if (bus == NULL)
			bus = "virtio";
		if (!CHECK_CHOICE(target, path, "bus", bus, disk_buses, error))
			return FALSE;
		json_object_set_string_member(disk_entry, "name", volume_name);
		json_object_set_string_member(ferry_kubevirt_add_object(disk_entry, "disk"), "bus",
					      compatibility ? "sata" : bus);
		if ((gint64)i == boot_disk)
			json_object_set_int_member(disk_entry, "bootOrder", 1);
		json_object_set_string_member(volume, "name", volume_name);
		json_object_set_string_member(ferry_kubevirt_add_object(volume, "dataVolume"),
					      "name", disk->name);
	}
	for (guint i = 0; i < target->luns->len; i++) {
		FerryKubevirtLun *lun = g_ptr_array_index(target->luns, i);
		JsonObject *lun_json =
		    json_array_get_object_element(ferry_json_get_array(document, "luns"), i);
		const char *given = ferry_kubevirt_string_member(lun_json, "volumeName");
		const char *bus = ferry_kubevirt_string_member(lun_json, "bus");
		g_autofree char *volume_name =
		    given != NULL ? g_strdup(given)
				  : g_strdup_printf("vol-%u", target->disks->len + i);
		g_autofree char *path = g_strdup_printf("luns[%u].", i);
		g_autoptr(GError) name_error = NULL;
		JsonObject *disk_entry;
		JsonObject *volume;

		if (!ferry_kubevirt_check_dns1123_label("volume name", volume_name, &name_error))
			return ferry_kubevirt_wrap(target, error, g_steal_pointer(&name_error));
		/* SCSI commands pass through a scsi bus (Forklift maps oVirt's virtio_scsi) */
		if (bus == NULL)
			bus = "scsi";
		if (!CHECK_CHOICE(target, path, "bus", bus, disk_buses, error))
			return FALSE;
		disk_entry = ferry_kubevirt_append_object(disks);
		json_object_set_string_member(disk_entry, "name", volume_name);
		json_object_set_string_member(ferry_kubevirt_add_object(disk_entry, "lun"), "bus",
					      bus);
		volume = ferry_kubevirt_append_object(volumes);
		json_object_set_string_member(volume, "name", volume_name);
		json_object_set_string_member(
		    ferry_kubevirt_add_object(volume, "persistentVolumeClaim"), "claimName",
		    lun->name);
	}
	if (!ferry_kubevirt_build_nics(target, spec, compatibility, interfaces, networks, error))
		return FALSE;
	if (json_array_get_length(interfaces) == 0) {
		/* a VM without NICs stays without: no automatic pod interface */
		json_object_remove_member(devices, "interfaces");
		json_object_remove_member(template_spec, "networks");
		json_object_set_boolean_member(devices, "autoattachPodInterface", FALSE);
	}
	if (node_selector != NULL) {
		JsonObject *selector = ferry_kubevirt_add_object(template_spec, "nodeSelector");
		if (!ferry_kubevirt_copy_string_map(target, node_selector, "targetNodeSelector",
						    "label", selector, error))
			return FALSE;
	}
	if (affinity != NULL)
		json_object_set_member(template_spec, "affinity",
				       json_node_copy(json_object_get_member(document,
									     "targetAffinity")));
	return TRUE;
}

/* the types of the members only KubeVirt reads, before any is read */
static gboolean
ferry_kubevirt_check_all_extras(FerryKubevirtTarget *target, FerryVmSpec *spec, GError **error)
{
	JsonObject *document = ferry_vm_spec_get_json(spec);
	JsonObject *source = ferry_json_get_object(document, "source");

	if (!CHECK_EXTRAS(target, document, "", spec_extras, error) ||
	    !CHECK_EXTRAS(target, source, "source.", source_extras, error) ||
	    !CHECK_EXTRAS(target, ferry_vm_spec_get_source_vm(spec), "source.vm.",
			  source_vm_extras, error) ||
	    !CHECK_EXTRAS(target, ferry_json_get_object(document, "firmware"), "firmware.",
			  firmware_extras, error))
		return FALSE;
	for (guint i = 0; i < ferry_vm_spec_get_n_disks(spec); i++) {
		g_autofree char *path = g_strdup_printf("disks[%u].", i);
		if (!CHECK_EXTRAS(target, ferry_vm_disk_get_json(ferry_vm_spec_get_disk(spec, i)),
				  path, disk_extras, error))
			return FALSE;
	}
	for (guint i = 0; i < ferry_vm_spec_get_n_nics(spec); i++) {
		g_autofree char *path = g_strdup_printf("nics[%u].", i);
		if (!CHECK_EXTRAS(target, ferry_vm_nic_get_json(ferry_vm_spec_get_nic(spec, i)),
				  path, nic_extras, error))
			return FALSE;
	}
	return TRUE;
}

/*
 * ferry_kubevirt_target_new:
 * @vm_spec: the engine's target VM description, read through FerryVmSpec
 *   (plugins/kubevirt/README.md lists the members read)
 * @sizing: how to size PVC requests
 * @default_format: the image format of disks that do not name one
 *
 * Validates @vm_spec and builds its manifests. Errors name the plan, the VM
 * and the member at fault: INVALID_DATA for a member of the wrong type,
 * INVALID_ARGUMENT for a value KubeVirt cannot take.
 */
FerryKubevirtTarget *
ferry_kubevirt_target_new(JsonObject *vm_spec,
			  const FerryKubevirtSizing *sizing,
			  const char *default_format,
			  GError **error)
{
	g_autoptr(FerryKubevirtTarget) target = g_new0(FerryKubevirtTarget, 1);
	g_autoptr(JsonObject) system_labels = json_object_new();
	g_autoptr(GError) local_error = NULL;
	g_autoptr(FerryVmSpec) spec = NULL;
	const char *name;
	const char *name_space;
	const char *plan;

	g_return_val_if_fail(vm_spec != NULL, NULL);
	target->disks = g_ptr_array_new_with_free_func(ferry_kubevirt_disk_free);
	target->luns = g_ptr_array_new_with_free_func(ferry_kubevirt_lun_free);
	spec = ferry_vm_spec_new_from_json(vm_spec, error);
	if (spec == NULL)
		return NULL;
	name = ferry_vm_spec_get_name(spec);
	name_space = ferry_kubevirt_said(ferry_vm_spec_get_namespace(spec));
	plan = ferry_kubevirt_said(ferry_vm_spec_get_plan(spec));
	target->display = plan != NULL ? g_strdup_printf("Plan/%s VM %s/%s", plan,
							 name_space != NULL ? name_space : "?",
							 name)
				       : g_strdup_printf("VM %s/%s",
							 name_space != NULL ? name_space : "?",
							 name);
	if (!ferry_kubevirt_check_dns1123_subdomain("the VM name", name, 63, &local_error) ||
	    !ferry_kubevirt_check_dns1123_label("the namespace", name_space, &local_error)) {
		ferry_kubevirt_wrap(target, error, g_steal_pointer(&local_error));
		return NULL;
	}
	target->name = g_strdup(name);
	target->name_space = g_strdup(name_space);
	if (!ferry_kubevirt_check_all_extras(target, spec, error) ||
	    !ferry_kubevirt_system_labels(target, spec, system_labels, error))
		return NULL;
	for (guint i = 0; i < ferry_vm_spec_get_n_disks(spec); i++) {
		if (!ferry_kubevirt_build_disk(target, ferry_vm_spec_get_disk(spec, i), i,
					       system_labels, sizing, default_format, error))
			return NULL;
	}
	{
		JsonNode *luns = json_object_get_member(vm_spec, "luns");
		if (luns != NULL && !JSON_NODE_HOLDS_NULL(luns) && !JSON_NODE_HOLDS_ARRAY(luns)) {
			ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
					    "luns must be a list");
			return NULL;
		}
		for (guint i = 0; luns != NULL && JSON_NODE_HOLDS_ARRAY(luns) &&
				  i < json_array_get_length(json_node_get_array(luns));
		     i++) {
			JsonNode *lun = json_array_get_element(json_node_get_array(luns), i);
			if (!JSON_NODE_HOLDS_OBJECT(lun)) {
				ferry_kubevirt_fail(target, error, FERRY_ERROR_INVALID_DATA,
						    "luns[%u] must be an object", i);
				return NULL;
			}
			if (!ferry_kubevirt_build_lun(target, json_node_get_object(lun), i,
						      system_labels, error))
				return NULL;
		}
	}
	if (!ferry_kubevirt_build_vm(target, spec, system_labels, error))
		return NULL;
	return g_steal_pointer(&target);
}

/*
 * Cluster mode: the VM's volumes name the disks' PersistentVolumeClaims
 * (`persistentVolumeClaim.claimName`) instead of DataVolumes, since the
 * disks are written into plain PVCs and CDI imports nothing.
 */
void
ferry_kubevirt_target_use_claims(FerryKubevirtTarget *target)
{
	JsonObject *spec = ferry_json_get_object(json_node_get_object(target->vm), "spec");
	JsonObject *template_spec = ferry_json_get_object(
	    ferry_json_get_object(spec, "template"), "spec");
	JsonArray *volumes = template_spec != NULL && json_object_has_member(template_spec, "volumes")
				 ? json_object_get_array_member(template_spec, "volumes")
				 : NULL;

	for (guint i = 0; volumes != NULL && i < json_array_get_length(volumes); i++) {
		JsonObject *volume = json_array_get_object_element(volumes, i);
		JsonObject *data_volume = ferry_json_get_object(volume, "dataVolume");
		g_autofree char *name = NULL;
		if (data_volume == NULL)
			continue;
		name = g_strdup(json_object_get_string_member(data_volume, "name"));
		json_object_remove_member(volume, "dataVolume");
		json_object_set_string_member(ferry_kubevirt_add_object(volume,
									"persistentVolumeClaim"),
					      "claimName", name);
	}
}

/* the disk at @index, or an error naming the VM when there is none */
FerryKubevirtDisk *
ferry_kubevirt_target_get_disk(FerryKubevirtTarget *target, guint index, GError **error)
{
	if (index < target->disks->len)
		return g_ptr_array_index(target->disks, index);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "%s: there is no disk %u; the VM has %u disks", target->display, index,
		    target->disks->len);
	return NULL;
}
