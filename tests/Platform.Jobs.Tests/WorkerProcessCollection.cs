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
