// Read-only memory maps of files, handed to JS as Buffers: the redundancy ring sends and XORs
// cached files straight from the page cache instead of copying them into buffers first.
#pragma once
#include <napi.h>

namespace scr {

// mapFile(path) -> Buffer over the whole file (read-only; an empty Buffer for an empty file).
Napi::Value MapFile(const Napi::CallbackInfo& info);
// mapFileWrite(path, size) -> a writable shared map of the file, created (0600) or truncated to size.
Napi::Value MapFileWrite(const Napi::CallbackInfo& info);
// dropPages(view): releases the pages of a mapped range from this process (they stay in the page
// cache and come back on access), so the resident set stays small while a big file is streamed.
Napi::Value DropPages(const Napi::CallbackInfo& info);
// unmapFile(buffer): detaches the Buffer's memory and unmaps it now (not at garbage collection).
Napi::Value UnmapFile(const Napi::CallbackInfo& info);

}  // namespace scr
