using Platform.Data;
using Platform.Jobs;

// A worker host: no HTTP, just the queue. `./platform worker` runs one; docker-compose runs
// worker-cpu and worker-gpu from it. SIGTERM checkpoints running jobs and gives them back.
var builder = Host.CreateApplicationBuilder(args);
builder.AddPlatformData();
builder.AddJobWorker();
builder.Build().Run();
