// One Asterisk serves the whole assembly and its calls share the trunk address: tests run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
