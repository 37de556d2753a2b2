// Moving jobs from a file into a driver (`q import-file`, and `q push --batch` lines that are
// whole job records as `q export` writes them): which jobs go, as what, and which stay behind.
#pragma once

#include <string>
#include <vector>

#include "libqueue/inspect.hpp"
#include "libqueue/job.hpp"

namespace libqueue {

// What a job read from a file becomes in the driver it moves to: the same id, name, queue,
// payload, max_retries and attempts used; pending at its due time (a job that was processing
// has nobody running it here: due now). Throws DataError for a finished job (completed, or a
// dead letter), which is not moved: there is nothing left to run.
NewJob moved_job(const Job& job);

struct ImportSkip {
    std::string entry;  // where it sits in the file ("[3]", "jobs[0]", "line 7")
    std::string id;     // empty when the entry had none q could read
    std::string reason;
};

struct ImportPlan {
    std::vector<NewJob> jobs;          // to push, in file order
    std::vector<std::string> entries;  // entries[i]: where jobs[i] sits in the file
    std::vector<ImportSkip> skipped;   // finished jobs and (when allowed) unreadable entries
};

// The plan for what `inspection` holds. Unreadable entries are skipped with their error.
ImportPlan plan_import(const FileInspection& inspection);

}  // namespace libqueue
