/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-estimate.h"
#include "ferry-json-private.h"
#include "ferry-platform.h"

/* A pre-flight estimate of a plan: what its copies move, what the
 * destination must hold, and how long the copies take at a throughput. */

#define MIB     (G_GUINT64_CONSTANT(1) << 20)
#define PPM_ONE 1000000u
/* Forklift's controller_filesystem_overhead default, which the kubevirt
 * plugin applies unless the destination Provider sets filesystemOverhead */
#define DEFAULT_FILESYSTEM_OVERHEAD_PPM 100000u

typedef struct {
	gboolean pvc; /* a KubeVirt destination: PVC requests */
	guint32 filesystem_ppm;
	guint64 block_overhead;
} Sizing;

static const char *
string_member(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static guint64
uint_member(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return 0;
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return json_node_get_int(node) > 0 ? (guint64)json_node_get_int(node) : 0;
	if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
		return json_node_get_double(node) > 0 ? (guint64)json_node_get_double(node) : 0;
	return 0;
}

/* `10`, `5.5` or `5.5%`, below 100, as the kubevirt plugin reads
 * spec.settings.filesystemOverhead */
static gboolean
parse_percent(const char *text, guint32 *ppm)
{
	char *end = NULL;
	double value = g_ascii_strtod(text, &end);
	if (end == text || (*end != '\0' && g_strcmp0(end, "%") != 0) || !(value >= 0) ||
	    value >= 100)
		return FALSE;
	*ppm = (guint32)llround(value * 10000);
	return TRUE;
}

/* a Kubernetes quantity in bytes: 4096, 1Gi, 512Mi, 100M */
static gboolean
parse_quantity(const char *text, guint64 *bytes)
{
	static const struct {
		const char *suffix;
		guint64 factor;
	} suffixes[] = {{"", 1},
			{"Ki", 1ull << 10},
			{"Mi", 1ull << 20},
			{"Gi", 1ull << 30},
			{"Ti", 1ull << 40},
			{"k", 1000ull},
			{"M", 1000000ull},
			{"G", 1000000000ull},
			{"T", 1000000000000ull}};
	char *end = NULL;
	guint64 number;

	if (!g_ascii_isdigit(text[0]))
		return FALSE;
	number = g_ascii_strtoull(text, &end, 10);
	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		if (g_strcmp0(end, suffixes[i].suffix) == 0)
			return g_uint64_checked_mul(bytes, number, suffixes[i].factor);
	}
	return FALSE;
}

/* the PVC request Forklift makes for a disk (the kubevirt plugin's
 * ferry_kubevirt_request_size()): the capacity rounded up to 1 MiB; for
 * Filesystem volumes (and those whose mode the map leaves to the storage
 * profile) divided by (1 - overhead), for Block volumes plus the block
 * overhead */
static guint64
request_size(guint64 capacity, const char *volume_mode, const Sizing *sizing)
{
	guint64 aligned = (MIN(capacity, G_MAXUINT64 / 2) + MIB - 1) / MIB * MIB;
	guint64 divisor = PPM_ONE - sizing->filesystem_ppm;

	if (!sizing->pvc)
		return aligned;
	if (g_strcmp0(volume_mode, "Block") == 0)
		return aligned + sizing->block_overhead;
	return aligned / divisor * PPM_ONE +
	       ((aligned % divisor) * PPM_ONE + divisor - 1) / divisor;
}

/* the pair of the StorageMap whose source is @ref by id or name, as the
 * engine picks it */
static JsonObject *
storage_pair(FerryResource *map, const char *ref)
{
	JsonNode *pairs = map != NULL ? ferry_resource_get_node(map, "spec.map") : NULL;
	for (guint i = 0; ref != NULL && pairs != NULL && JSON_NODE_HOLDS_ARRAY(pairs) &&
			  i < json_array_get_length(json_node_get_array(pairs));
	     i++) {
		JsonObject *pair = json_array_get_object_element(json_node_get_array(pairs), i);
		JsonObject *source = ferry_json_path_object(pair, "source");
		if (g_strcmp0(string_member(source, "id"), ref) == 0 ||
		    g_strcmp0(string_member(source, "name"), ref) == 0)
			return pair;
	}
	return NULL;
}

static gboolean
destination_sizing(FerryPlan *plan, FerryStore *store, Sizing *sizing, char **type, GError **error)
{
	const char *name_space = NULL;
	const char *name = ferry_plan_get_destination_provider(plan, &name_space);
	g_autoptr(FerryResource) provider = NULL;
	const char *text;

	*sizing = (Sizing){TRUE, DEFAULT_FILESYSTEM_OVERHEAD_PPM, 0};
	*type = NULL;
	if (name == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Plan/%s has no destination provider; set spec.provider.destination",
			    ferry_resource_get_name(FERRY_RESOURCE(plan)));
		return FALSE;
	}
	if (name_space == NULL)
		name_space = ferry_resource_get_namespace(FERRY_RESOURCE(plan));
	provider = ferry_store_get(store, "Provider", name_space, name, NULL);
	if (provider == NULL || !FERRY_IS_PROVIDER_RESOURCE(provider)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Plan/%s: its destination Provider/%s does not exist in namespace "
			    "'%s'; apply it or fix spec.provider.destination",
			    ferry_resource_get_name(FERRY_RESOURCE(plan)), name, name_space);
		return FALSE;
	}
	*type = g_strdup(
		ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(provider)));
	/* only a KubeVirt destination sizes volumes; others write sparse images */
	sizing->pvc = g_strcmp0(*type, "openshift") == 0;
	text = ferry_provider_resource_get_setting(FERRY_PROVIDER_RESOURCE(provider),
						   "filesystemOverhead");
	if (text != NULL && !parse_percent(text, &sizing->filesystem_ppm)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "Provider/%s: spec.settings.filesystemOverhead '%s' is not a "
			    "percentage below 100; write e.g. 10 or 5.5",
			    name, text);
		return FALSE;
	}
	text = ferry_provider_resource_get_setting(FERRY_PROVIDER_RESOURCE(provider),
						   "blockOverhead");
	if (text != NULL && !parse_quantity(text, &sizing->block_overhead)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "Provider/%s: spec.settings.blockOverhead '%s' is not a size; write "
			    "e.g. 1Gi or 4096",
			    name, text);
		return FALSE;
	}
	return TRUE;
}

/* the storage a disk of a description (or, without one, of the inventory
 * document) is on */
static const char *
disk_storage(JsonObject *disk)
{
	const char *ref = string_member(disk, "storage");
	if (ref == NULL)
		ref = ferry_json_path_string(disk, "datastore.id", NULL);
	if (ref == NULL)
		ref = string_member(disk, "id");
	return ref;
}

static void
set_seconds(JsonObject *object, guint64 bytes, guint64 bytes_per_second)
{
	if (bytes_per_second > 0)
		json_object_set_double_member(object, "seconds",
					      (double)bytes / (double)bytes_per_second);
	else
		json_object_set_null_member(object, "seconds");
}

static JsonObject *
estimate_vm(JsonObject *vm, const char *provider_type, FerryResource *storage_map,
	    const Sizing *sizing, guint64 bytes_per_second)
{
	g_autoptr(JsonObject) described = ferry_platform_describe_vm(provider_type, vm, NULL);
	JsonArray *disks = ferry_json_path_array(described != NULL ? described : vm, "disks");
	JsonObject *out = json_object_new();
	JsonArray *out_disks = json_array_new();
	guint64 bytes = 0, capacity = 0, destination = 0;
	guint allocated = 0;

	json_object_set_string_member(out, "id", string_member(vm, "id"));
	json_object_set_string_member(out, "name", string_member(vm, "name"));
	for (guint i = 0; disks != NULL && i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		JsonObject *d = json_object_new();
		guint64 size = uint_member(disk, "capacity");
		guint64 populated = uint_member(disk, "populatedSize");
		const char *volume_mode =
			ferry_json_path_string(storage_pair(storage_map, disk_storage(disk)),
					       "destination.volumeMode", NULL);
		const char *name = string_member(disk, "fileName");
		guint64 moved;
		guint64 space;

		if (name == NULL)
			name = string_member(disk, "name");
		if (name == NULL)
			name = string_member(disk, "filePath");
		if (name == NULL)
			name = string_member(disk, "file");
		/* the source says how much of the disk holds data: only that moves
		 * (holes and zeroes are skipped); else the whole capacity */
		moved = populated > 0 ? MIN(populated, size) : size;
		allocated += populated > 0;
		space = request_size(size, volume_mode, sizing);
		if (!sizing->pvc)
			space = moved; /* a sparse image file holds the data */
		if (string_member(disk, "id") != NULL)
			json_object_set_string_member(d, "id", string_member(disk, "id"));
		if (name != NULL)
			json_object_set_string_member(d, "name", name);
		json_object_set_int_member(d, "capacity", (gint64)size);
		json_object_set_int_member(d, "bytes", (gint64)moved);
		json_object_set_string_member(d, "basis",
					      populated > 0 ? "allocated" : "provisioned");
		if (volume_mode != NULL)
			json_object_set_string_member(d, "volumeMode", volume_mode);
		json_object_set_int_member(d, "destinationBytes", (gint64)space);
		json_array_add_object_element(out_disks, d);
		bytes += moved;
		capacity += size;
		destination += space;
	}
	json_object_set_int_member(out, "capacity", (gint64)capacity);
	json_object_set_int_member(out, "bytes", (gint64)bytes);
	json_object_set_string_member(out, "basis",
				      disks == NULL || allocated == json_array_get_length(disks)
					      ? "allocated"
				      : allocated == 0 ? "provisioned"
						       : "mixed");
	json_object_set_int_member(out, "destinationBytes", (gint64)destination);
	set_seconds(out, bytes, bytes_per_second);
	json_object_set_array_member(out, "disks", out_disks);
	return out;
}

/**
 * ferry_plan_estimate:
 * @plan: a plan read from @store
 * @store: the state store, for the plan's providers and StorageMap
 * @inventory: the inventory holding the source provider's VMs
 * @bytes_per_second: the throughput the copies are assumed to reach, or 0
 *   for none (the times are then %NULL)
 * @throughput_source: (nullable): how @bytes_per_second was found (e.g.
 *   "given", or what ferry_estimate_recorded_throughput() says), copied to
 *   the result
 * @error: return location for a #GError
 *
 * Predicts what the plan's copies move and need, per VM and for the plan,
 * from the source inventory alone (no provider is connected):
 *
 * - `bytes`: what the copies move. A disk whose source reports how much of
 *   it holds data (`populatedSize`, e.g. an OVF's `ovf:populatedSize`) moves
 *   that much (`basis` `allocated`: holes and zeroes are skipped); others
 *   count their whole capacity (`basis` `provisioned`).
 * - `destinationBytes`: the room the destination needs. For a KubeVirt
 *   destination (a cluster or a bundle) the PVC requests, sized as Forklift
 *   and the kubevirt plugin size them: the capacity rounded up to 1 MiB,
 *   divided by (1 - filesystem overhead) for Filesystem volumes (the
 *   destination Provider's `spec.settings.filesystemOverhead`, else 10 %),
 *   plus `blockOverhead` for Block volumes (the StorageMap's volumeMode).
 *   For other destinations the data of the sparse image files.
 * - `seconds`: `bytes` at @bytes_per_second: the copy time alone (no
 *   per-VM overhead such as creating volumes or conversion), for the plan
 *   as if the throughput is the machine's whatever the VMs in flight.
 *
 * The result has `plan`, `namespace`, `sourceProvider`,
 * `destinationProvider`, `destinationType`, `filesystemOverhead` (percent),
 * `blockOverhead`, `capacity`, `bytes`, `destinationBytes`, `seconds`,
 * `throughput` (`bytesPerSecond`, `source`) and `vms`: per VM `id`, `name`,
 * the same sums and `disks` (`id`, `name`, `capacity`, `bytes`, `basis`,
 * `volumeMode`, `destinationBytes`).
 *
 * Returns: (transfer full): the estimate, or %NULL with @error set: the
 *   source inventory is not loaded, or VMs of the plan are not in it
 *   (%FERRY_ERROR_NOT_FOUND, naming them and the fix)
 *
 * Since: 0.1
 */
JsonObject *
ferry_plan_estimate(FerryPlan *plan, FerryStore *store, FerryInventory *inventory,
		    guint64 bytes_per_second, const char *throughput_source, GError **error)
{
	FerryResource *resource = FERRY_RESOURCE(plan);
	const char *plan_name = ferry_resource_get_name(resource);
	const char *name_space = NULL;
	const char *source_name;
	g_autofree char *destination_type = NULL;
	g_autoptr(FerryResource) source = NULL;
	g_autoptr(FerryResource) storage_map = NULL;
	g_autoptr(JsonObject) out = json_object_new();
	g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
	JsonArray *out_vms = json_array_new();
	JsonObject *throughput = json_object_new();
	JsonArray *vms;
	const char *provider_type;
	Sizing sizing;
	guint64 bytes = 0, capacity = 0, destination = 0;

	g_return_val_if_fail(FERRY_IS_PLAN(plan), NULL);
	g_return_val_if_fail(FERRY_IS_STORE(store), NULL);
	g_return_val_if_fail(FERRY_IS_INVENTORY(inventory), NULL);

	json_object_set_string_member(out, "plan", plan_name);
	json_object_set_string_member(out, "namespace", ferry_resource_get_namespace(resource));
	json_object_set_array_member(out, "vms", out_vms);
	json_object_set_object_member(out, "throughput", throughput);

	source_name = ferry_plan_get_source_provider(plan, &name_space);
	if (name_space == NULL)
		name_space = ferry_resource_get_namespace(resource);
	if (source_name != NULL)
		source = ferry_store_get(store, "Provider", name_space, source_name, NULL);
	if (source == NULL || !FERRY_IS_PROVIDER_RESOURCE(source)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Plan/%s: its source Provider/%s does not exist in namespace '%s'; "
			    "apply it or fix spec.provider.source",
			    plan_name, source_name != NULL ? source_name : "(none)", name_space);
		return NULL;
	}
	provider_type = ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(source));
	if (!ferry_inventory_has_parity(inventory, source_name)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Plan/%s: the inventory of its source provider '%s' has not been "
			    "loaded; load it with 'ferry inventory refresh %s -n %s'",
			    plan_name, source_name, source_name, name_space);
		return NULL;
	}
	if (!destination_sizing(plan, store, &sizing, &destination_type, error))
		return NULL;
	{
		const char *map_ns = NULL;
		const char *map = ferry_plan_get_storage_map(plan, &map_ns);
		if (map != NULL)
			storage_map = ferry_store_get(
				store, "StorageMap",
				map_ns != NULL ? map_ns : ferry_resource_get_namespace(resource),
				map, NULL);
	}

	vms = ferry_plan_get_vms(plan);
	for (guint i = 0; vms != NULL && i < json_array_get_length(vms); i++) {
		JsonObject *entry = json_array_get_object_element(vms, i);
		const char *id = string_member(entry, "id");
		const char *name = string_member(entry, "name");
		g_autoptr(JsonObject) vm = NULL;
		JsonObject *estimate;

		/* by id first, by name when there is no id, as validation finds them */
		if (id != NULL && id[0] != '\0') {
			vm = ferry_inventory_get_workload(inventory, source_name, provider_type, id,
							  NULL);
		} else if (name != NULL && name[0] != '\0') {
			g_autoptr(JsonObject) found = ferry_inventory_find_by_name(
				inventory, source_name, "vm", name, NULL);
			if (found != NULL && string_member(found, "id") != NULL)
				vm = ferry_inventory_get_workload(inventory, source_name,
								  provider_type,
								  string_member(found, "id"), NULL);
		}
		if (vm == NULL) {
			g_ptr_array_add(missing, g_strdup(id != NULL && id[0] != '\0' ? id
							  : name != NULL              ? name
									 : "(no id or name)"));
			continue;
		}
		estimate = estimate_vm(vm, provider_type, storage_map, &sizing, bytes_per_second);
		bytes += (guint64)json_object_get_int_member(estimate, "bytes");
		capacity += (guint64)json_object_get_int_member(estimate, "capacity");
		destination += (guint64)json_object_get_int_member(estimate, "destinationBytes");
		json_array_add_object_element(out_vms, estimate);
	}
	if (missing->len > 0) {
		g_ptr_array_add(missing, NULL);
		g_autofree char *list = g_strjoinv(", ", (char **)missing->pdata);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Plan/%s: %u VM(s) of spec.vms are not in the inventory of provider "
			    "'%s': %s; remove them from the plan, or run 'ferry inventory refresh "
			    "%s -n %s' if they were added since",
			    plan_name, missing->len - 1, source_name, list, source_name,
			    name_space);
		return NULL;
	}

	json_object_set_string_member(out, "sourceProvider", source_name);
	json_object_set_string_member(out, "destinationProvider",
				      ferry_plan_get_destination_provider(plan, NULL));
	json_object_set_string_member(out, "destinationType", destination_type);
	if (sizing.pvc) {
		g_autofree char *percent =
			g_strdup_printf("%g", (double)sizing.filesystem_ppm / 10000.0);
		json_object_set_string_member(out, "filesystemOverhead", percent);
		json_object_set_int_member(out, "blockOverhead", (gint64)sizing.block_overhead);
	}
	json_object_set_int_member(out, "capacity", (gint64)capacity);
	json_object_set_int_member(out, "bytes", (gint64)bytes);
	json_object_set_int_member(out, "destinationBytes", (gint64)destination);
	set_seconds(out, bytes, bytes_per_second);
	json_object_set_int_member(throughput, "bytesPerSecond", (gint64)bytes_per_second);
	json_object_set_string_member(throughput, "source",
				      throughput_source != NULL ? throughput_source
				      : bytes_per_second > 0    ? "given"
								: "none");
	return g_steal_pointer(&out);
}

typedef struct {
	gint64 start;
	gint64 end;
} Interval;

static gint
interval_compare(gconstpointer a, gconstpointer b)
{
	const Interval *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static gint64
annotation_int(JsonObject *annotations, const char *key)
{
	const char *text = string_member(annotations, key);
	return text != NULL ? g_ascii_strtoll(text, NULL, 10) : -1;
}

/**
 * ferry_estimate_recorded_throughput:
 * @store: the state store
 * @error: return location for a #GError
 *
 * The copy throughput this machine reached in its most recent migration
 * that copied data, from what the engine records on each cold disk copy
 * (the DiskTransfer task's annotations `ferry.konveyor.io/copy-bytes`: the
 * disk's data as the estimate counts it, `copy-started-us` and
 * `copy-duration-us`). Of the plan whose last copy ended last, every copy
 * of its current migration counts: the bytes over the time during which at
 * least one of them ran (so the throughput of all VMs in flight together,
 * and the gaps between copies, when no copy ran, left out).
 *
 * Returns: (transfer full) (nullable): `bytesPerSecond`, `bytes`,
 *   `seconds`, `copies`, `plan` and `namespace`; %NULL without @error when
 *   no copy is recorded
 *
 * Since: 0.1
 */
JsonObject *
ferry_estimate_recorded_throughput(FerryStore *store, GError **error)
{
	g_autoptr(GPtrArray) plans = NULL;
	g_autoptr(GArray) best = NULL;
	FerryResource *best_plan = NULL;
	gint64 best_end = -1;
	guint64 best_bytes = 0;
	gint64 covered = 0, reach = G_MININT64;
	JsonObject *out;

	g_return_val_if_fail(FERRY_IS_STORE(store), NULL);
	plans = ferry_store_list(store, "Plan", NULL, error);
	if (plans == NULL)
		return NULL;
	for (guint p = 0; p < plans->len; p++) {
		FerryResource *plan = g_ptr_array_index(plans, p);
		JsonNode *vms = ferry_resource_get_node(plan, "status.migration.vms");
		g_autoptr(GArray) intervals = g_array_new(FALSE, FALSE, sizeof(Interval));
		guint64 bytes = 0;
		gint64 end = -1;

		for (guint v = 0; vms != NULL && JSON_NODE_HOLDS_ARRAY(vms) &&
				  v < json_array_get_length(json_node_get_array(vms));
		     v++) {
			JsonObject *vm = json_array_get_object_element(json_node_get_array(vms), v);
			JsonArray *pipeline = ferry_json_path_array(vm, "pipeline");
			for (guint s = 0; pipeline != NULL && s < json_array_get_length(pipeline);
			     s++) {
				JsonArray *tasks = ferry_json_path_array(
					json_array_get_object_element(pipeline, s), "tasks");
				for (guint t = 0; tasks != NULL && t < json_array_get_length(tasks);
				     t++) {
					JsonObject *a = ferry_json_path_object(
						json_array_get_object_element(tasks, t),
						"annotations");
					gint64 b = annotation_int(a, FERRY_ANNOTATION_COPY_BYTES);
					gint64 start =
						annotation_int(a, FERRY_ANNOTATION_COPY_STARTED);
					gint64 duration =
						annotation_int(a, FERRY_ANNOTATION_COPY_DURATION);
					Interval interval = {start, start + duration};
					if (b < 0 || start < 0 || duration <= 0)
						continue;
					bytes += (guint64)b;
					g_array_append_val(intervals, interval);
					end = MAX(end, interval.end);
				}
			}
		}
		if (intervals->len > 0 && end > best_end) {
			g_clear_pointer(&best, g_array_unref);
			best = g_steal_pointer(&intervals);
			best_end = end;
			best_bytes = bytes;
			best_plan = plan;
		}
	}
	if (best == NULL)
		return NULL;
	/* the union of the copies' intervals */
	g_array_sort(best, interval_compare);
	for (guint i = 0; i < best->len; i++) {
		Interval *x = &g_array_index(best, Interval, i);
		if (x->start >= reach) {
			covered += x->end - x->start;
			reach = x->end;
		} else if (x->end > reach) {
			covered += x->end - reach;
			reach = x->end;
		}
	}
	out = json_object_new();
	json_object_set_int_member(out, "bytesPerSecond",
				   (gint64)((double)best_bytes * G_USEC_PER_SEC / (double)covered));
	json_object_set_int_member(out, "bytes", (gint64)best_bytes);
	json_object_set_double_member(out, "seconds", (double)covered / G_USEC_PER_SEC);
	json_object_set_int_member(out, "copies", best->len);
	json_object_set_string_member(out, "plan", ferry_resource_get_name(best_plan));
	json_object_set_string_member(out, "namespace", ferry_resource_get_namespace(best_plan));
	return out;
}
