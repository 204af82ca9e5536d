// Services log through Nest's Logger; in-process tests keep the output people scan quiet.
require('@nestjs/common').Logger.overrideLogger(false);
