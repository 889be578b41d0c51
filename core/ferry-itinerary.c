/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-engine-private.h"

/* The itineraries are static tables, as in Forklift: a phase runs only when
 * every bit of its flag mask holds for the VM. Phase and step names are
 * Forklift's, so status reads the same as `oc get plan -o yaml`. */

#define PRE FERRY_PHASE_FLAG_PRE_HOOK
#define POST FERRY_PHASE_FLAG_POST_HOOK
#define CONV FERRY_PHASE_FLAG_CONVERSION
#define V2V FERRY_PHASE_FLAG_V2V_COPY
#define CDI FERRY_PHASE_FLAG_CDI_COPY
#define OSTACK FERRY_PHASE_FLAG_PRE_TRANSFER
#define VSPHERE FERRY_PHASE_FLAG_SNAPSHOT_CONSOLIDATION
#define WIN FERRY_PHASE_FLAG_WINDOWS_REBOOT

static const FerryPhase cold_phases[] = {
    {"Started", "Initialize", 0},
    {"PreHook", "PreHook", PRE},
    {"StorePowerState", "Initialize", 0},
    {"PowerOffSource", "Initialize", 0},
    {"WaitForPowerOff", "Initialize", 0},
    {"CreateDataVolumes", "Initialize", 0},
    {"CopyDisks", "DiskTransfer", CDI},
    {"AllocateDisks", "DiskAllocation", V2V},
    {"CreateGuestConversionPod", "ImageConversion", CONV},
    {"ConvertGuest", "ImageConversion", CONV},
    {"CopyDisksVirtV2V", "DiskTransferV2v", CONV | V2V},
    {"ConvertOpenstackSnapshot", "ConvertOpenstackSnapshot", OSTACK},
    {"CreateVM", "VirtualMachineCreation", 0},
    {"WaitForGuestReboots", "WaitForGuestReboots", WIN},
    {"PostHook", "PostHook", POST},
    {"Completed", NULL, 0},
};

static const FerryPhase warm_phases[] = {
    {"Started", "Initialize", 0},
    {"PreHook", "PreHook", PRE},
    {"CreateInitialSnapshot", "Initialize", 0},
    {"WaitForInitialSnapshot", "Initialize", 0},
    {"StoreInitialSnapshotDeltas", "Initialize", 0},
    {"CreateDataVolumes", "Initialize", 0},
    /* the precopy loop: AddCheckpoint jumps back to CopyDisks */
    {"CopyDisks", "DiskTransfer", 0},
    {"CopyingPaused", "DiskTransfer", 0},
    {"RemovePreviousSnapshot", "DiskTransfer", 0},
    {"WaitForPreviousSnapshotRemoval", "DiskTransfer", 0},
    {"CreateSnapshot", "DiskTransfer", 0},
    {"WaitForSnapshot", "DiskTransfer", 0},
    {"StoreSnapshotDeltas", "DiskTransfer", 0},
    {"AddCheckpoint", "DiskTransfer", 0},
    /* cutover: CopyingPaused jumps here */
    {"StorePowerState", "Cutover", 0},
    {"PowerOffSource", "Cutover", 0},
    {"WaitForPowerOff", "Cutover", 0},
    {"RemovePenultimateSnapshot", "Cutover", 0},
    {"WaitForPenultimateSnapshotRemoval", "Cutover", 0},
    {"CreateFinalSnapshot", "Cutover", 0},
    {"WaitForFinalSnapshot", "Cutover", 0},
    {"AddFinalCheckpoint", "Cutover", 0},
    {"Finalize", "Cutover", 0},
    {"RemoveFinalSnapshot", "Cutover", 0},
    {"CreateGuestConversionPod", "ImageConversion", CONV},
    {"ConvertGuest", "ImageConversion", CONV},
    {"CreateVM", "VirtualMachineCreation", 0},
    {"WaitForGuestReboots", "WaitForGuestReboots", WIN},
    {"PostHook", "PostHook", POST},
    {"WaitForFinalSnapshotRemoval", "WaitForFinalSnapshotConsolidation", VSPHERE},
    {"Completed", NULL, 0},
};

static const FerryPhase conversion_phases[] = {
    {"Started", "Initialize", 0},
    {"PreHook", "PreHook", PRE},
    {"StorePowerState", "Initialize", 0},
    {"PowerOffSource", "Initialize", 0},
    {"WaitForPowerOff", "Initialize", 0},
    {"CreateGuestConversionPod", "ImageConversion", 0},
    {"ConvertGuest", "ImageConversion", 0},
    {"CreateVM", "VirtualMachineCreation", 0},
    {"WaitForGuestReboots", "WaitForGuestReboots", WIN},
    {"PostHook", "PostHook", POST},
    {"Completed", NULL, 0},
};

static const FerryStepInfo steps[] = {
    {"Initialize", "Initialize migration."},
    {"PreHook", "Run pre-migration hook."},
    {"PostHook", "Run post-migration hook."},
    {"DiskAllocation", "Allocate disks."},
    {"DiskTransfer", "Transfer disks."},
    {"Cutover", "Finalize disk transfer."},
    {"ImageConversion", "Convert image to kubevirt."},
    {"DiskTransferV2v", "Copy disks."},
    {"ConvertOpenstackSnapshot", "Convert OpenStack snapshot."},
    {"VirtualMachineCreation", "Create VM."},
    {"WaitForGuestReboots", "Wait for guest reboots."},
    {"WaitForFinalSnapshotConsolidation", "Wait for the final snapshot consolidation."},
};

static const char *const kind_names[] = {"cold", "warm", "conversion"};

const FerryPhase *
ferry_itinerary_get(FerryItineraryKind kind, guint *n_phases)
{
	switch (kind) {
	case FERRY_ITINERARY_WARM:
		*n_phases = G_N_ELEMENTS(warm_phases);
		return warm_phases;
	case FERRY_ITINERARY_CONVERSION:
		*n_phases = G_N_ELEMENTS(conversion_phases);
		return conversion_phases;
	case FERRY_ITINERARY_COLD:
	default:
		*n_phases = G_N_ELEMENTS(cold_phases);
		return cold_phases;
	}
}

const char *
ferry_itinerary_kind_to_string(FerryItineraryKind kind)
{
	if ((guint)kind >= G_N_ELEMENTS(kind_names))
		return NULL;
	return kind_names[kind];
}

gboolean
ferry_itinerary_kind_from_string(const char *str, FerryItineraryKind *kind)
{
	for (guint i = 0; i < G_N_ELEMENTS(kind_names); i++) {
		if (g_strcmp0(str, kind_names[i]) == 0) {
			*kind = (FerryItineraryKind)i;
			return TRUE;
		}
	}
	return FALSE;
}

gint
ferry_itinerary_next(FerryItineraryKind kind, gint index, guint flags)
{
	guint n = 0;
	const FerryPhase *phases = ferry_itinerary_get(kind, &n);
	for (gint i = MAX(index, 0); i < (gint)n; i++) {
		if ((phases[i].flags & flags) == phases[i].flags)
			return i;
	}
	return -1;
}

gint
ferry_itinerary_find(FerryItineraryKind kind, const char *phase)
{
	guint n = 0;
	const FerryPhase *phases = ferry_itinerary_get(kind, &n);
	for (guint i = 0; i < n; i++) {
		if (g_strcmp0(phases[i].name, phase) == 0)
			return (gint)i;
	}
	return -1;
}

const char *
ferry_step_description(const char *step)
{
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		if (g_strcmp0(steps[i].name, step) == 0)
			return steps[i].description;
	}
	return step;
}
