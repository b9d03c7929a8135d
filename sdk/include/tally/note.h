/*
 * The plugin note: what a Tally plugin library says about itself, in an ELF
 * note section (`.note.tally`, type TALLY_NOTE_TYPE_PLUGIN, owner "Tally").
 *
 * The host reads it straight from the file, before the dynamic loader ever
 * sees the library, so a library it refuses runs none of its code (not even
 * static constructors). TALLY_METRIC, TALLY_REPORT and TALLY_SOURCE emit the
 * note; a plugin written in C uses TALLY_PLUGIN_NOTE(kind). The plugin name
 * comes from TALLY_PLUGIN_NAME, which tally_add_plugin() defines.
 *
 * `content_sha256` is filled in after linking (tally_add_plugin() seals the
 * library): the SHA-256 of every byte the loader maps (the ELF header with
 * its section-table fields zeroed, the program headers, and each PT_LOAD
 * segment's file bytes), with the hash field itself read as zeros. Stripping
 * changes none of those bytes, so a stripped plugin keeps its hash.
 */
#ifndef TALLY_NOTE_H
#define TALLY_NOTE_H

#include <stdint.h>

#include <tally/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_NOTE_OWNER "Tally"
#define TALLY_NOTE_TYPE_PLUGIN 0x544C5901u
#define TALLY_NOTE_FORMAT 1u
#define TALLY_NOTE_NAME_MAX 64

typedef struct tally_note_desc {
  uint32_t format;                       /* TALLY_NOTE_FORMAT */
  uint32_t sdk_version;                  /* TALLY_SDK_VERSION the library was built against */
  int32_t kind;                          /* tally_plugin_kind */
  uint32_t reserved;                     /* zero */
  char plugin_name[TALLY_NOTE_NAME_MAX]; /* NUL-padded; empty when unnamed */
  uint8_t content_sha256[32];            /* zeros until the library is sealed */
} tally_note_desc;

/* The whole note as it sits in the section: ELF note header, owner name
 * (padded to 4 bytes), descriptor. */
typedef struct tally_note {
  uint32_t namesz; /* sizeof TALLY_NOTE_OWNER, 6 */
  uint32_t descsz; /* sizeof(tally_note_desc) */
  uint32_t type;   /* TALLY_NOTE_TYPE_PLUGIN */
  char owner[8];
  tally_note_desc desc;
} tally_note;

#ifndef TALLY_PLUGIN_NAME
#define TALLY_PLUGIN_NAME ""
#endif

#if defined(__ELF__)
#define TALLY_DETAIL_NOTE_ATTRIBUTES __attribute__((used, section(".note.tally"), aligned(4)))
#else
#define TALLY_DETAIL_NOTE_ATTRIBUTES
#endif

/* Emits the note for a plugin of `kind` (TALLY_KIND_METRIC, ...). Exactly
 * one per library; the registration macros of <tally/sdk.hpp> do it. */
#define TALLY_PLUGIN_NOTE(kind)                                               \
  TALLY_DETAIL_NOTE_ATTRIBUTES static const tally_note tally_plugin_note_ = { \
      sizeof TALLY_NOTE_OWNER,                                                \
      sizeof(tally_note_desc),                                                \
      TALLY_NOTE_TYPE_PLUGIN,                                                 \
      TALLY_NOTE_OWNER,                                                       \
      {TALLY_NOTE_FORMAT, TALLY_SDK_VERSION, (kind), 0u, TALLY_PLUGIN_NAME, {0}}}

#ifdef __cplusplus
}
#endif

#endif /* TALLY_NOTE_H */
