using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Platform.Jobs.Tests.WorkerProcessesFirst", "Platform.Jobs.Tests")]

namespace Platform.Jobs.Tests;

/// <summary>
/// Test classes that train real jobs in several worker processes (kills, outages, the chaos suite) run
/// one after another, not beside each other: on a 2-core machine, three of them at once starve the
/// workers' lease renewals, and the runs then fence themselves for want of CPU, not because of the
/// faults the tests inject.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WorkerProcessCollection
{
    public const string Name = "worker processes";
}

/// <summary>
/// Starts the worker-process collection first. It is the longest chain of the project (about 220 s of
/// its 370 on a loaded 2-core machine) and runs on one thread; started where the default order put it
/// (at 150 s), every other class had finished when it was half done and the second thread idled for
/// 150 s (bench/RESULTS.md, "Suite time"). The rest keep the default order.
/// </summary>
public sealed class WorkerProcessesFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName == WorkerProcessCollection.Name ? 0 : 1).ThenBy(c => c.UniqueID);
}
