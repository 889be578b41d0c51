/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* How virt-v2v is run for one VM: the program, its arguments and the files
 * it reads, built from the VM description alone so it can be tested
 * without running anything. */

typedef enum {
	FERRY_V2V_MODE_COPY,	 /* virt-v2v: read the sources, write converted disks */
	FERRY_V2V_MODE_IN_PLACE, /* virt-v2v-in-place: convert the disks where they are */
} FerryV2vMode;

typedef struct {
	FerryV2vMode mode;
	char *program;
	GPtrArray *args;	 /* arguments after the program name */
	char *domain_xml;	 /* -i libvirtxml input, written to domain_xml_path */
	char *domain_xml_path;
	char *stdin_keys;	 /* LUKS passphrases for --keys-from-stdin, one a line */
	FerrySecret *keys;	 /* every LUKS passphrase, to redact virt-v2v's output */
	char *output_dir;	 /* -os (copy mode) */
	char *output_name;	 /* -on (copy mode) */
	char *log_path;
	char *tmp_dir;		 /* VIRT_V2V_TMPDIR */
	guint n_disks;
} FerryV2vCommand;

FerryV2vCommand *
ferry_v2v_command_new(FerryV2vMode mode,
		      JsonObject *vm_spec,
		      JsonArray *disks,
		      const char *work_dir,
		      GError **error);
void
ferry_v2v_command_free(FerryV2vCommand *self);
char **
ferry_v2v_command_dup_argv(FerryV2vCommand *self);
char *
ferry_v2v_command_dup_display(FerryV2vCommand *self);
char *
ferry_v2v_command_dup_output_disk(FerryV2vCommand *self, guint index);

char *
ferry_v2v_drive_name(guint index);
char *
ferry_v2v_domain_xml(JsonObject *vm_spec, JsonArray *disks, GError **error);
GPtrArray *
ferry_v2v_static_ip_args(JsonObject *source_vm);
char *
ferry_v2v_dup_vm_display(JsonObject *vm_spec);
char *
ferry_v2v_dup_ova_input(JsonObject *vm_spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryV2vCommand, ferry_v2v_command_free)

G_END_DECLS
