using Platform.Jobs.Workers;

namespace Platform.Jobs.Tests;

public sealed class WorkerSlotTests
{
    [Fact]
    public void Plan_CudaWorkerWithTwoGpus_SpreadsSlotsOverEveryGpuBeforeSharingOne()
    {
        var slots = WorkerSlot.Plan(slots: 3, "cuda", gpus: 2, cores: 16);

        Assert.Equal(["cuda:0", "cuda:1", "cuda:0"], slots.Select(s => s.Device));
        Assert.Equal([0, 1, 2], slots.Select(s => s.Index));
        Assert.All(slots, s => Assert.Equal(5, s.Threads));
    }

    [Fact]
    public void Plan_CpuWorker_EverySlotOnTheCpuWithItsShareOfTheCores()
    {
        var slots = WorkerSlot.Plan(slots: 2, "cpu", gpus: 4, cores: 16);

        Assert.Equal(["cpu", "cpu"], slots.Select(s => s.Device));
        Assert.All(slots, s => Assert.Equal(8, s.Threads));
    }

    [Fact]
    public void Plan_CudaWorkerWithoutGpusAndMoreSlotsThanCores_TrainsOnTheCpuWithOneThreadEach()
    {
        var slots = WorkerSlot.Plan(slots: 4, "cuda", gpus: 0, cores: 2);

        Assert.All(slots, s => Assert.Equal(("cpu", 1), (s.Device, s.Threads)));
    }

    [Theory]
    [InlineData("auto", "cuda:1")]
    [InlineData(null, "cuda:1")]
    [InlineData("cpu", "cpu")]
    [InlineData("cuda:0", "cuda:0")]
    public void DeviceFor_JobAskingForAuto_GetsTheSlotsDevice(string? requested, string expected) =>
        Assert.Equal(expected, new WorkerSlot(1, "cuda:1", 4).DeviceFor(requested));
}
