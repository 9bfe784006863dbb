// Throws while loading: the manager must report it instead of hanging.
throw new Error('this worker fails at load');
