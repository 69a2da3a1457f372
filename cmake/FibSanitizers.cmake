# FIB_SANITIZE=address,undefined (or thread) instruments every target.
if(FIB_SANITIZE)
  add_compile_options(-fsanitize=${FIB_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all -g)
  add_link_options(-fsanitize=${FIB_SANITIZE})
endif()
